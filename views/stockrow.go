package views

import "tally/wms"

// wmsStockRow is a counted line as the count screen shows it.
type wmsStockRow = wms.StockRow

// wmsReturnLine is a line of a parcel being inspected.
type wmsReturnLine = wms.ReturnLine
