package views

import "tally/wms"

// wmsStockRow is a counted line as the count screen shows it.
type wmsStockRow = wms.StockRow
