package views

import "tally/wms"

// IsMarketDialect says whether an upstream is a marketplace shop (it has a
// stock page).
func IsMarketDialect(dialect string) bool { return wms.IsMarket(dialect) }
