package qimen

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"slices"
	"strings"
)

// ErrNoWarehouse is a request that names no warehouseCode.
var ErrNoWarehouse = errors.New("qimen: the request names no warehouseCode")

// WarehouseCodes lists the distinct warehouseCode values a request body
// names, wherever they are (a delivery order's header, a batch's orders, an
// inventory query's criteria, a cancellation's top level), in the order
// they first appear: what the hub routes a call by. The body must have
// passed CheckRequest.
func WarehouseCodes(body []byte) ([]string, error) {
	d := xml.NewDecoder(bytes.NewReader(body))
	var out []string
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, ErrMalformedXML
		}
		se, ok := tok.(xml.StartElement)
		if !ok || se.Name.Local != "warehouseCode" {
			continue
		}
		var v string
		if err := d.DecodeElement(&v, &se); err != nil {
			return nil, ErrMalformedXML
		}
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil, ErrNoWarehouse
	}
	return out, nil
}
