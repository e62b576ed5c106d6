package printing

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"tally/scan"
)

// Label sizes in millimetres (width × height, portrait as fed through the printer).
const (
	WaybillSize100x150 = "100x150" // the common Chinese e-commerce waybill (面单)
	WaybillSize76x130  = "76x130"  // the narrow one-part waybill
)

var (
	skuLabelSize      = [2]float64{100, 50}
	locationLabelSize = [2]float64{100, 50}
	toteLabelSize     = [2]float64{60, 40}
	badgeLabelSize    = [2]float64{60, 40}
)

// Party is the sender or recipient of a shipment.
type Party struct{ Name, Phone, Address string }

// WaybillLabel is a shipping label (waybill, 面单) for one parcel. Printed is shown
// as its own location's wall clock: give it in the warehouse's zone.
type WaybillLabel struct {
	Size          string // WaybillSize100x150 (default when empty) or WaybillSize76x130
	Carrier       string // e.g. "顺丰速运 SF Express"
	Waybill       string // e.g. "SF1234567890123"; printed as Code 128
	ParentWaybill string // the master waybill of a multi-parcel shipment, for a child parcel; "" otherwise
	Order         string
	Recipient     Party
	Sender        Party
	WeightKg      float64
	Items         string // item summary; wrapped and shortened to fit
	Parcel        int    // parcel n of Parcels (0 when there is one parcel)
	Parcels       int
	QR            string // content of the QR code (a tracking URL or the waybill); "" for none
	Copy          bool   // a reprint: marked "副本 COPY"
	Printed       time.Time
	FullPhone     bool // print the recipient's phone in full; by default its middle digits are masked (MaskPhone)
}

// MaskPhone hides the middle of a phone number as Chinese carriers print it on a
// waybill: the four digits before the last four become "*" (13812345678 →
// 138****5678, 0571-88886666 → 0571-****6666), spaces, dashes and a country code
// left as they are. A number already masked stays the same; one of fewer than
// eight digits keeps only its last four.
func MaskPhone(s string) string {
	r := []rune(s)
	var pos []int // digits and stars, in order
	for i, c := range r {
		if c >= '0' && c <= '9' || c == '*' {
			pos = append(pos, i)
		}
	}
	n := len(pos)
	if n <= 4 {
		return s
	}
	for _, i := range pos[max(0, n-8) : n-4] {
		r[i] = '*'
	}
	return string(r)
}

// SKULabel is a product label: the SKU, its name and a GS1-128 barcode with (01) GTIN,
// (17) expiry date and (10) lot. Without a GTIN the barcode is a plain Code 128 of the SKU.
type SKULabel struct {
	SKU, Name, GTIN, Lot string
	Expiry               time.Time // zero: none
}

// LocationLabel is a storage location label: Code 128 of the code and the code in big text.
type LocationLabel struct{ Code, Zone string }

// ToteLabel is a tote label: Code 128 and Data Matrix of the code.
type ToteLabel struct{ Code string }

// BadgeLabel is a staff badge label: Code 128 of the badge number, the name and the role.
type BadgeLabel struct{ Badge, Name, Role string }

// Label is a label that LabelPDF and LabelZPL print: WaybillLabel, SKULabel, LocationLabel,
// ToteLabel and BadgeLabel (values or pointers).
type Label interface {
	// LabelSize is the width and height of the label in millimetres.
	LabelSize() (w, h float64)
	layout(m metrics, enc *encoder) (*labelLayout, error)
	barcodes() []codeKey // the encodings layout asks enc for
}

// toLabels checks that every element of labels is a label this package prints.
func toLabels(labels []any) ([]Label, error) {
	if len(labels) == 0 {
		return nil, errors.New("printing: no labels to print")
	}
	out := make([]Label, len(labels))
	for i, v := range labels {
		var l Label
		switch x := v.(type) {
		case *WaybillLabel:
			if x != nil {
				l = *x
			}
		case *SKULabel:
			if x != nil {
				l = *x
			}
		case *LocationLabel:
			if x != nil {
				l = *x
			}
		case *ToteLabel:
			if x != nil {
				l = *x
			}
		case *BadgeLabel:
			if x != nil {
				l = *x
			}
		case Label:
			l = x
		}
		if l == nil {
			return nil, fmt.Errorf("printing: label %d is a %T, not a label (WaybillLabel, SKULabel, LocationLabel, ToteLabel or BadgeLabel)", i+1, v)
		}
		out[i] = l
	}
	return out, nil
}

func waybillDims(size string) (w, h float64, ok bool) {
	switch strings.ReplaceAll(strings.ToLower(strings.TrimSpace(size)), "×", "x") {
	case "", WaybillSize100x150:
		return 100, 150, true
	case WaybillSize76x130:
		return 76, 130, true
	}
	return 0, 0, false
}

// LabelSize returns the waybill's size in millimetres (0, 0 for an unknown Size).
func (l WaybillLabel) LabelSize() (w, h float64) {
	w, h, _ = waybillDims(l.Size)
	return w, h
}

// LabelSize returns 100 × 50 mm.
func (SKULabel) LabelSize() (w, h float64) { return skuLabelSize[0], skuLabelSize[1] }

// LabelSize returns 100 × 50 mm.
func (LocationLabel) LabelSize() (w, h float64) { return locationLabelSize[0], locationLabelSize[1] }

// LabelSize returns 60 × 40 mm.
func (ToteLabel) LabelSize() (w, h float64) { return toteLabelSize[0], toteLabelSize[1] }

// LabelSize returns 60 × 40 mm.
func (BadgeLabel) LabelSize() (w, h float64) { return badgeLabelSize[0], badgeLabelSize[1] }

func (l WaybillLabel) barcodes() []codeKey {
	keys := []codeKey{{'C', l.Waybill}}
	if l.QR != "" {
		keys = append(keys, codeKey{'Q', l.QR})
	}
	return keys
}

func (l SKULabel) barcodes() []codeKey { return nil } // Code 128 only: quick to encode

func (l LocationLabel) barcodes() []codeKey { return []codeKey{{'C', l.Code}} }

func (l ToteLabel) barcodes() []codeKey { return []codeKey{{'C', l.Code}, {'D', l.Code}} }

func (l BadgeLabel) barcodes() []codeKey { return []codeKey{{'C', l.Badge}} }

// parcelText is "n/m" for a shipment of several parcels, "" otherwise.
func (l WaybillLabel) parcelText() string {
	if l.Parcels <= 1 && l.Parcel <= 1 {
		return ""
	}
	n, m := max(l.Parcel, 1), max(l.Parcels, l.Parcel)
	return fmt.Sprintf("%d/%d", n, m)
}

// Waybill layout, for the 100 × 150 mm label; other sizes scale it.
const (
	waybillMargin = 2.0
	waybillRule   = 0.375 // 3 dots
)

func (l WaybillLabel) layout(m metrics, enc *encoder) (*labelLayout, error) {
	W, H, ok := waybillDims(l.Size)
	if !ok {
		return nil, fmt.Errorf("waybill %s: unknown label size %q (use %q or %q)", l.Waybill, l.Size, WaybillSize100x150, WaybillSize76x130)
	}
	if err := checkCode128Text("waybill number", l.Waybill); err != nil {
		return nil, err
	}
	code, err := enc.code128(l.Waybill)
	if err != nil {
		return nil, err
	}
	fx, fy := W/100, H/150
	L := newLayout(W, H, m)
	const t = waybillRule
	x0, y0 := waybillMargin, waybillMargin
	iw, ih := W-2*waybillMargin, H-2*waybillMargin
	pad := snap(1.5 * fx)
	cx, cw := x0+t+pad, iw-2*(t+pad) // content column inside the frame
	L.frame(x0, y0, iw, ih, t)

	// Header: carrier; copy mark and parcel count on the right.
	y := y0 + t
	hh := snap(10*fy) - t
	hs := 4.5 * fx
	right := cx + cw
	if p := l.parcelText(); p != "" {
		ps := hs * 1.15
		pw := L.textWidth(p, ps)
		L.text(right-pw, y+(hh-ps)/2, pw, ps, p, 'R')
		right -= pw + 2*pad
	}
	if l.Copy {
		right = L.inverse(right, y+0.75, hh-1.5, hs*0.9, "副本 COPY") - pad
	}
	L.text(cx, y+(hh-hs)/2, right-cx, hs, l.Carrier, 'L')
	y += hh
	L.rect(x0, y, iw, t)
	y += t

	// Waybill barcode and number; for a child parcel the master waybill below.
	bs := snap(31.5*fy) - t
	by := y + snap(2*fy)
	bh := snap(17 * fy)
	if _, err := L.code128("waybill "+l.Waybill, code, x0+t, iw-2*t, by, bh, 2, 4); err != nil {
		return nil, err
	}
	ty := L.text(x0+t, by+bh+0.75, iw-2*t, 4.2*fx, l.Waybill, 'C')
	if l.ParentWaybill != "" {
		L.text(cx, ty, cw, 3.2*fx, "子单 Child · 母单 Parent: "+l.ParentWaybill, 'C')
	}
	y += bs
	L.rect(x0, y, iw, t)
	y += t

	// Recipient and sender.
	rs := snap(32*fy) - t
	recipient := l.Recipient
	if !l.FullPhone {
		recipient.Phone = MaskPhone(recipient.Phone)
	}
	L.party(x0, y, iw, rs, pad, "收", 7*fx, 4.5*fx, 4*fx, recipient)
	y += rs
	L.rect(x0, y, iw, t)
	y += t
	ss := snap(20*fy) - t
	L.party(x0, y, iw, ss, pad, "寄", 5.5*fx, 3.2*fx, 3*fx, l.Sender)
	y += ss
	L.rect(x0, y, iw, t)
	y += t

	// Order, weight, items and print time on the left; the QR code on the right.
	bottom := y0 + ih - t
	infoH := bottom - y
	left, lw := cx, cw
	if l.QR != "" {
		qr, err := enc.qr(l.QR)
		if err != nil {
			return nil, err
		}
		qa := snap(min(infoH-1, 32*fx))
		qx := x0 + iw - t - qa
		if _, err := L.matrix("QR content "+l.QR, qr, qx, y+snap((infoH-qa)/2), qa, 2, 6); err != nil {
			return nil, err
		}
		L.rect(qx-t, y, t, infoH)
		lw = qx - t - pad - left
	}
	fs := 3.2 * fx
	ly := y + pad*0.6
	ly = L.text(left, ly, lw, fs, "订单 Order: "+l.Order, 'L')
	var info []string
	if l.WeightKg > 0 {
		info = append(info, fmt.Sprintf("重量 Weight: %.2f kg", l.WeightKg))
	}
	if p := l.parcelText(); p != "" {
		info = append(info, "件数 Pcs: "+p)
	}
	if len(info) > 0 {
		ly = L.text(left, ly, lw, fs, strings.Join(info, "   "), 'L')
	}
	footS := 2.6 * fx
	footY := bottom - lineHeight(footS) - 0.25
	if items := strings.TrimSpace(l.Items); items != "" {
		L.paragraph(left, ly, lw, fs, "内件 Items: "+items, int(math.Floor((footY-ly)/lineHeight(fs))))
	}
	var foot []string
	if !l.Printed.IsZero() {
		foot = append(foot, "打印 Printed: "+l.Printed.Format("2006-01-02 15:04"))
	}
	if l.Copy {
		foot = append(foot, "副本 COPY")
	}
	L.text(left, footY, lw, footS, strings.Join(foot, "   "), 'L')
	return L, nil
}

// party draws a sender or recipient block: a tag column ("收" or "寄"), then the name and
// phone on one line and the address wrapped below.
func (l *labelLayout) party(x, y, w, h, pad float64, tag string, tagS, nameS, addrS float64, p Party) {
	tw := snap(tagS * 1.5)
	l.text(x+waybillRule, y+(h-tagS)/2, tw-waybillRule, tagS, tag, 'C')
	l.rect(x+tw, y, waybillRule, h)
	cx := x + tw + waybillRule + pad
	cw := x + w - waybillRule - pad - cx
	name := strings.TrimSpace(cleanLine(p.Name) + "   " + cleanLine(p.Phone))
	ay := l.text(cx, y+pad*0.6, cw, nameS, name, 'L')
	lines := int(math.Floor((y + h - 0.5 - ay) / lineHeight(addrS)))
	l.paragraph(cx, ay, cw, addrS, p.Address, lines)
}

func (l SKULabel) layout(m metrics, enc *encoder) (*labelLayout, error) {
	W, H := l.LabelSize()
	L := newLayout(W, H, m)
	const mg = 2.5
	x0, iw := mg, W-2*mg
	if strings.TrimSpace(l.SKU) == "" {
		return nil, errors.New("SKU label: the SKU is empty")
	}

	// The codes to print: GS1-128 when there is a GTIN, else Code 128 of the SKU. When the
	// GS1 data is too long for one symbol, the lot goes into a second one.
	type symbol struct {
		code *code128Code
		text string
	}
	var groups [][]gs1Element
	if strings.TrimSpace(l.GTIN) != "" {
		gtin, err := scan.NormalizeGTIN(l.GTIN)
		if err != nil {
			return nil, fmt.Errorf("SKU label %s: %w", l.SKU, err)
		}
		first := []gs1Element{{aiGTIN, gtin}}
		if !l.Expiry.IsZero() {
			first = append(first, gs1Element{aiExpiry, l.Expiry.Format("060102")})
		}
		groups = [][]gs1Element{first}
		if l.Lot != "" {
			if err := checkLot(l.Lot); err != nil {
				return nil, fmt.Errorf("SKU label %s: %w", l.SKU, err)
			}
			lot := gs1Element{aiLot, l.Lot}
			one := append(append([]gs1Element(nil), first...), lot)
			if c, err := enc.code128(gs1Content(one)); err == nil && (c.modules()+2*code128Quiet)*2 <= int(W*dotsPerMM) {
				groups = [][]gs1Element{one}
			} else {
				groups = append(groups, []gs1Element{lot})
			}
		}
	} else if err := checkCode128Text("SKU", l.SKU); err != nil {
		return nil, fmt.Errorf("SKU label: %w", err)
	}
	var symbols []symbol
	for _, g := range groups {
		c, err := enc.code128(gs1Content(g))
		if err != nil {
			return nil, fmt.Errorf("SKU label %s: %w", l.SKU, err)
		}
		symbols = append(symbols, symbol{c, gs1Text(g)})
	}
	if len(symbols) == 0 {
		c, err := enc.code128(l.SKU)
		if err != nil {
			return nil, fmt.Errorf("SKU label: %w", err)
		}
		symbols = []symbol{{c, l.SKU}}
	}

	y := L.text(x0, mg, iw, 5, l.SKU, 'L')
	y = L.paragraph(x0, y, iw, 3.2, l.Name, 2)
	y = snap(y + 0.5)

	botS := 3.2
	botY := H - mg - lineHeight(botS)
	var bottom []string
	if l.Lot != "" {
		bottom = append(bottom, "批次 Lot: "+l.Lot)
	}
	if !l.Expiry.IsZero() {
		bottom = append(bottom, "有效期 Exp: "+l.Expiry.Format("2006-01-02"))
	}
	L.text(x0, botY, iw, botS, strings.Join(bottom, "   "), 'L')

	hrS := 2.8
	per := (botY - 0.5 - y) / float64(len(symbols))
	bh := snap(min(15, per-lineHeight(hrS)-0.75))
	for i, s := range symbols {
		sy := snap(y + float64(i)*per)
		if _, err := L.code128("SKU "+l.SKU+" barcode "+s.text, s.code, 0, W, sy, bh, 2, 3); err != nil {
			return nil, err
		}
		L.text(x0, sy+bh+0.5, iw, hrS, s.text, 'C')
	}
	return L, nil
}

func (l LocationLabel) layout(m metrics, enc *encoder) (*labelLayout, error) {
	if err := checkCode128Text("location code", l.Code); err != nil {
		return nil, fmt.Errorf("location label: %w", err)
	}
	code, err := enc.code128(l.Code)
	if err != nil {
		return nil, err
	}
	W, H := l.LabelSize()
	L := newLayout(W, H, m)
	const mg = 2.5
	y := mg
	if l.Zone != "" {
		y = L.text(mg, y, W-2*mg, 4, "库区 Zone: "+l.Zone, 'L')
	}
	by := snap(y + 0.75)
	bh := 17.0
	if _, err := L.code128("location "+l.Code, code, 0, W, by, bh, 2, 4); err != nil {
		return nil, err
	}
	big := min(12, (H-mg-(by+bh+1))/1.2)
	L.text(mg, by+bh+1, W-2*mg, big, l.Code, 'C')
	return L, nil
}

func (l ToteLabel) layout(m metrics, enc *encoder) (*labelLayout, error) {
	if err := checkCode128Text("tote code", l.Code); err != nil {
		return nil, fmt.Errorf("tote label: %w", err)
	}
	code, err := enc.code128(l.Code)
	if err != nil {
		return nil, err
	}
	dm, err := enc.dataMatrix(l.Code)
	if err != nil {
		return nil, err
	}
	W, H := l.LabelSize()
	L := newLayout(W, H, m)
	const mg = 2.0
	side := 14.0
	dx := W - mg - side
	if _, err := L.matrix("tote "+l.Code, dm, dx, mg, side, 2, 6); err != nil {
		return nil, err
	}
	L.text(mg+0.5, mg+(side-8)/2, dx-mg-1, 8, l.Code, 'L')
	by := snap(mg + side + 1)
	bh := 12.0
	if _, err := L.code128("tote "+l.Code, code, 0, W, by, bh, 2, 3); err != nil {
		return nil, err
	}
	L.text(mg, by+bh+0.75, W-2*mg, 3, l.Code, 'C')
	return L, nil
}

func (l BadgeLabel) layout(m metrics, enc *encoder) (*labelLayout, error) {
	if err := checkCode128Text("badge number", l.Badge); err != nil {
		return nil, fmt.Errorf("badge label: %w", err)
	}
	code, err := enc.code128(l.Badge)
	if err != nil {
		return nil, err
	}
	W, H := l.LabelSize()
	L := newLayout(W, H, m)
	const mg = 2.5
	y := L.text(mg, mg, W-2*mg, 6, l.Name, 'C')
	y = L.text(mg, y, W-2*mg, 3.5, l.Role, 'C')
	by := snap(y + 0.5)
	bh := 14.0
	if _, err := L.code128("badge "+l.Badge, code, 0, W, by, bh, 2, 3); err != nil {
		return nil, err
	}
	L.text(mg, by+bh+0.75, W-2*mg, 3.5, l.Badge, 'C')
	return L, nil
}
