package server

import (
	"bytes"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fastjson"
)

// A batch's body decoded without reflection: encoding/json cost a batch's
// order about as much CPU as storing it. decodeBatchFast takes the common
// body (an object with "orders", each order with the fields orderIn names,
// exactly as spelled, in plain UTF-8 without escapes) and says when it did
// not; everything else — a bad body, an escape, a null, a key in other
// case, a number encoding/json reads otherwise — goes to bodyJSON, so that
// what a body means and the words refusing it are encoding/json's.

var batchParsers fastjson.ParserPool

// batchBodyJSON decodes a batch's body into in.
func batchBodyJSON(c *fiber.Ctx, in *ordersBatchIn) error {
	if decodeBatchFast(c.Body(), in) {
		return nil
	}
	*in = ordersBatchIn{}
	return bodyJSON(c, in)
}

// decodeBatchFast decodes body into in when it is of the common form and
// reports whether it did (in is left partly set when it did not).
func decodeBatchFast(body []byte, in *ordersBatchIn) bool {
	// escapes, control characters and bad UTF-8 are encoding/json's to read
	if bytes.IndexByte(body, '\\') >= 0 || !utf8.Valid(body) {
		return false
	}
	for _, c := range body {
		if c < 0x20 && c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	p := batchParsers.Get()
	defer batchParsers.Put(p)
	v, err := p.ParseBytes(body)
	if err != nil || v.Type() != fastjson.TypeObject {
		return false
	}
	o, _ := v.Object()
	ok, seen := true, false
	o.Visit(func(k []byte, v *fastjson.Value) {
		if !ok {
			return
		}
		// a key twice: encoding/json decodes the second into the first
		if string(k) != "orders" || seen {
			ok = false
			return
		}
		seen = true
		arr, err := v.Array()
		if err != nil {
			ok = false
			return
		}
		in.Orders = make([]orderIn, len(arr))
		for i, ov := range arr {
			if !decodeOrderFast(ov, &in.Orders[i]) {
				ok = false
				return
			}
		}
	})
	return ok
}

func decodeOrderFast(v *fastjson.Value, o *orderIn) bool {
	obj, err := v.Object()
	if err != nil {
		return false
	}
	ok := true
	var seen [3]bool // platform_order_ids, recipient, lines: see decodeBatchFast
	once := func(i int) bool {
		if seen[i] {
			return false
		}
		seen[i] = true
		return true
	}
	obj.Visit(func(k []byte, v *fastjson.Value) {
		if !ok {
			return
		}
		switch string(k) {
		case "owner":
			ok = fastString(v, &o.Owner)
		case "no":
			ok = fastString(v, &o.No)
		case "channel":
			ok = fastString(v, &o.Channel)
		case "platform":
			ok = fastString(v, &o.Platform)
		case "shop":
			ok = fastString(v, &o.Shop)
		case "carrier":
			ok = fastString(v, &o.Carrier)
		case "notes":
			ok = fastString(v, &o.Notes)
		case "priority":
			var n int64
			ok = fastInt(v, &n, strconv.IntSize)
			o.Priority = int(n)
		case "ship_by":
			var s string
			if ok = fastString(v, &s); ok {
				var t time.Time
				ok = t.UnmarshalJSON([]byte(`"`+s+`"`)) == nil
				o.ShipBy = &t
			}
		case "platform_order_ids":
			arr, err := v.Array()
			if ok = err == nil && once(0); ok {
				o.PlatformOrderIDs = make([]string, len(arr))
				for i, sv := range arr {
					if ok = fastString(sv, &o.PlatformOrderIDs[i]); !ok {
						return
					}
				}
			}
		case "recipient":
			r, err := v.Object()
			if ok = err == nil && once(1); !ok {
				return
			}
			r.Visit(func(k []byte, v *fastjson.Value) {
				if !ok {
					return
				}
				switch string(k) {
				case "name":
					ok = fastString(v, &o.Recipient.Name)
				case "phone":
					ok = fastString(v, &o.Recipient.Phone)
				case "address":
					ok = fastString(v, &o.Recipient.Address)
				default:
					ok = false
				}
			})
		case "lines":
			arr, err := v.Array()
			if ok = err == nil && once(2); !ok {
				return
			}
			o.Lines = make([]orderLineIn, len(arr))
			for i, lv := range arr {
				if ok = decodeLineFast(lv, &o.Lines[i]); !ok {
					return
				}
			}
		default:
			ok = false
		}
	})
	return ok
}

func decodeLineFast(v *fastjson.Value, l *orderLineIn) bool {
	obj, err := v.Object()
	if err != nil {
		return false
	}
	ok := true
	obj.Visit(func(k []byte, v *fastjson.Value) {
		if !ok {
			return
		}
		switch string(k) {
		case "sku":
			ok = fastString(v, &l.SKU)
		case "qty":
			ok = fastInt(v, &l.Qty, 64)
		case "platform_order_id":
			ok = fastString(v, &l.PlatformOrderID)
		case "platform_sub_order_id":
			ok = fastString(v, &l.PlatformSubOrderID)
		default:
			ok = false
		}
	})
	return ok
}

// fastString sets *dst to a string value (no escapes: the body has none);
// anything else is not the fast path's.
func fastString(v *fastjson.Value, dst *string) bool {
	if v.Type() != fastjson.TypeString {
		return false
	}
	b, _ := v.StringBytes()
	for _, c := range b {
		if c < 0x20 { // a raw tab or newline in a string: invalid JSON
			return false
		}
	}
	*dst = string(b)
	return true
}

// fastInt sets *dst to an integer written as strconv writes it (no sign,
// exponent, fraction or leading zero that encoding/json might read
// otherwise).
func fastInt(v *fastjson.Value, dst *int64, bits int) bool {
	if v.Type() != fastjson.TypeNumber {
		return false
	}
	var buf [48]byte
	raw := v.MarshalTo(buf[:0])
	if len(raw) > 20 {
		return false
	}
	n, err := strconv.ParseInt(string(raw), 10, bits)
	if err != nil || string(strconv.AppendInt(buf[24:24], n, 10)) != string(raw) {
		return false
	}
	*dst = n
	return true
}
