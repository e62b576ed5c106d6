package wms

import (
	"bytes"
	"context"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Box is a carton in the box catalogue.
type Box struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	LengthMM int    `json:"length_mm"`
	WidthMM  int    `json:"width_mm"`
	HeightMM int    `json:"height_mm"`
	TareG    int    `json:"tare_g"`
}

func (b *Box) Validate() error {
	b.Code, b.Name = strings.TrimSpace(b.Code), strings.TrimSpace(b.Name)
	if !validCode(b.Code) {
		return errf(CodeInvalid, "box.code_invalid", "box", b.Code)
	}
	if b.Name == "" {
		b.Name = b.Code
	}
	if b.LengthMM <= 0 || b.WidthMM <= 0 || b.HeightMM <= 0 || b.TareG < 0 {
		return errf(CodeInvalid, "box.size_invalid", "box", b.Code)
	}
	return nil
}

func (b Box) volume() int64 { return int64(b.LengthMM) * int64(b.WidthMM) * int64(b.HeightMM) }

// Station is a packing station: its scale and its label printer.
type Station struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Scale    string `json:"scale,omitempty"`    // serial:///dev/ttyUSB0?baud=9600 or tcp://10.0.0.50:4001; empty = typed weights
	Protocol string `json:"protocol,omitempty"` // continuous or mtsics
	Printer  string `json:"printer"`            // cups:QUEUE, tcp://10.0.0.60:9100, or browser
	Format   string `json:"format"`             // pdf or zpl
	Label    string `json:"label"`              // 100x150 or 76x130
	Sender   string `json:"sender,omitempty"`   // return address printed on waybills
	// MaskPhone masks the middle digits of the recipient's phone on waybills
	// (138****0000), as carriers do; absent means true. The order keeps the full number.
	MaskPhone *bool `json:"mask_phone,omitempty"`
}

// MasksPhone tells whether the station's waybills mask the recipient's phone.
func (s Station) MasksPhone() bool { return s.MaskPhone == nil || *s.MaskPhone }

func (s *Station) Validate() error {
	s.ID = strings.TrimSpace(s.ID)
	if !validCode(s.ID) {
		return errf(CodeInvalid, "station.id_invalid", "station", s.ID)
	}
	if s.Name == "" {
		s.Name = s.ID
	}
	if s.Printer == "" {
		s.Printer = "browser"
	}
	if s.Format == "" {
		s.Format = "pdf"
	}
	if s.Format != "pdf" && s.Format != "zpl" {
		return errf(CodeInvalid, "station.format_invalid", "station", s.ID)
	}
	if s.Label == "" {
		s.Label = "100x150"
	}
	if s.Label != "100x150" && s.Label != "76x130" {
		return errf(CodeInvalid, "station.label_invalid", "station", s.ID)
	}
	if s.Protocol != "" && s.Protocol != "continuous" && s.Protocol != "mtsics" {
		return errf(CodeInvalid, "station.protocol_invalid", "station", s.ID)
	}
	return nil
}

// WeightGate is how far a parcel may weigh from what its contents should weigh.
type WeightGate struct {
	AllowanceG int `json:"allowance_g"` // packing material on top of items and tare
	AbsG       int `json:"abs_g"`       // tolerance: the larger of this
	Pct        int `json:"pct"`         // and this share of the expected weight
}

// Tolerance is the allowed difference for an expected weight.
func (g WeightGate) Tolerance(expectedG int) int {
	return max(g.AbsG, int(math.Ceil(float64(expectedG)*float64(g.Pct)/100)))
}

// PackState is an order at the packing station: what was verified and the parcels made.
type PackState struct {
	Order    string       `json:"order"`
	Station  string       `json:"station,omitempty"`
	Verified []PackedItem `json:"verified,omitempty"` // scanned, not yet in a parcel
	Parcels  []Parcel     `json:"parcels,omitempty"`
}

// PackedItem is units of one SKU and lot checked at the kiosk.
type PackedItem struct {
	SKU     string   `json:"sku"`
	Lot     string   `json:"lot,omitempty"`
	Qty     int64    `json:"qty"`
	Serials []string `json:"serials,omitempty"`
}

// Parcel is one box of a shipment with its waybill.
type Parcel struct {
	N         int          `json:"n"`
	Box       string       `json:"box"`
	Items     []PackedItem `json:"items"`
	WeightG   int          `json:"weight_g"`
	ExpectedG int          `json:"expected_g"`
	Typed     bool         `json:"typed,omitempty"` // weight typed, not read from the scale
	Waybill   string       `json:"waybill"`
	Parent    string       `json:"parent,omitempty"` // the first parcel's waybill, for child parcels
	Override  *Override    `json:"override,omitempty"`
}

// Override is a supervisor letting a parcel through the weight gate.
type Override struct {
	Badge  string `json:"badge"`
	Reason string `json:"reason"`
}

// PackScan is one item scanned at the kiosk.
type PackScan struct {
	Order   string `json:"order"`
	Station string `json:"station"`
	GTIN    string `json:"gtin"`
	Lot     string `json:"lot,omitempty"`
	Serial  string `json:"serial,omitempty"`
	Qty     int64  `json:"qty"`
	Today   string `json:"today"`
	// decided
	SKU string `json:"sku,omitempty"`
}

// ParcelClose weighs a parcel and gives it a waybill from the carrier's pool.
type ParcelClose struct {
	Order    string    `json:"order"`
	Station  string    `json:"station"`
	Box      string    `json:"box"`
	WeightG  int       `json:"weight_g"`
	Typed    bool      `json:"typed,omitempty"`
	Override *Override `json:"override,omitempty"`
	Today    string    `json:"today"`
	// decided
	Parcel *Parcel `json:"parcel,omitempty"`
}

// ShipConfirm hands the order's parcels to the carrier.
type ShipConfirm struct {
	Order   string `json:"order"`
	Station string `json:"station"`
	// decided: the parcels' waybills, for the lot's story
	Waybills []string `json:"waybills,omitempty"`
}

// WaybillLoad adds waybill numbers to a carrier account's pool.
type WaybillLoad struct {
	Account string   `json:"account"`
	Numbers []string `json:"numbers"`
}

// PrintJob is a label to print at a station; the print worker sends it.
type PrintJob struct {
	ID      string    `json:"id"`
	Station string    `json:"station"`
	Kind    string    `json:"kind"` // waybill
	Order   string    `json:"order,omitempty"`
	Parcel  int       `json:"parcel,omitempty"`
	Copy    bool      `json:"copy,omitempty"`
	Status  string    `json:"status"` // queued, sent, failed, browser
	Tries   int       `json:"tries"`
	Retries int       `json:"retries,omitempty"` // times a supervisor sent it back to the queue
	Error   string    `json:"error,omitempty"`
	Actor   string    `json:"actor"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// PrintRequest asks for a label (a reprint is a copy and is audited as an event).
type PrintRequest struct {
	Station string `json:"station"`
	Kind    string `json:"kind"`
	Order   string `json:"order"`
	Parcel  int    `json:"parcel"`
	Copy    bool   `json:"copy,omitempty"`
}

// GaveUp tells whether the job failed as often as it may and left the queue:
// only a person retrying it sends it to the printer again.
func (j PrintJob) GaveUp() bool {
	return j.Status == "failed" && j.Tries >= MaxPrintTries*(j.Retries+1)
}

// PrintRetry sends a job that gave up back to the printer, for as many tries again.
type PrintRetry struct {
	Job string `json:"job"`
}

// PrintFilter chooses print jobs: by status, station or order (empty: any), at most Limit.
type PrintFilter struct {
	Status, Station, Order string
	Limit                  int
}

// PrintResult is what the worker got from the printer.
type PrintResult struct {
	Job    string `json:"job"`
	Status string `json:"status"` // sent, failed, browser
	Error  string `json:"error,omitempty"`
}

// LowWaybillPool is when the kiosk and floor warn that a pool is running out.
const LowWaybillPool = 200

func applyBox(tx *bolt.Tx, ev *Event) error {
	var b Box
	if err := decode(ev, &b); err != nil {
		return err
	}
	return putBox(tx, b)
}

func putBox(tx *bolt.Tx, b Box) error {
	if err := b.Validate(); err != nil {
		return err
	}
	return putJSON(tx.Bucket(bucketBoxes), []byte(b.Code), b)
}

func applyStation(tx *bolt.Tx, ev *Event) error {
	var s Station
	if err := decode(ev, &s); err != nil {
		return err
	}
	if err := s.Validate(); err != nil {
		return err
	}
	return putJSON(tx.Bucket(bucketStations), []byte(s.ID), s)
}

func applyWaybills(tx *bolt.Tx, ev *Event) error {
	var p WaybillLoad
	if err := decode(ev, &p); err != nil {
		return err
	}
	return loadWaybills(tx, p)
}

func loadWaybills(tx *bolt.Tx, p WaybillLoad) error {
	if !validCode(p.Account) || len(p.Numbers) == 0 {
		return errf(CodeInvalid, "waybill.load_invalid")
	}
	pool, used := tx.Bucket(bucketWaybillPool), tx.Bucket(bucketWaybillUsed)
	seq, err := pool.NextSequence()
	if err != nil {
		return err
	}
	for i, n := range p.Numbers {
		if !validCode(n) {
			return errf(CodeInvalid, "waybill.number_invalid", "waybill", n)
		}
		if used.Get([]byte(n)) != nil || tx.Bucket(bucketWaybillIndex).Get([]byte(n)) != nil {
			return errf(CodeConflict, "waybill.duplicate", "waybill", n)
		}
		k := append(prefixKey(p.Account), seqKey(seq*1_000_000+uint64(i))...)
		if err := pool.Put(k, []byte(n)); err != nil {
			return err
		}
		if err := tx.Bucket(bucketWaybillIndex).Put([]byte(n), []byte(p.Account)); err != nil {
			return err
		}
	}
	return nil
}

// takeWaybill removes the next number from an account's pool.
func takeWaybill(tx *bolt.Tx, account string) (string, error) {
	c := tx.Bucket(bucketWaybillPool).Cursor()
	p := prefixKey(account)
	k, v := c.Seek(p)
	if k == nil || !strings.HasPrefix(string(k), string(p)) {
		return "", errf(CodeConflict, "waybill.pool_empty", "account", account)
	}
	n := string(v)
	if err := tx.Bucket(bucketWaybillPool).Delete(append([]byte{}, k...)); err != nil {
		return "", err
	}
	return n, nil
}

// WaybillsLeft counts the numbers left in each account's pool.
func (l *Ledger) WaybillsLeft() (map[string]int, error) {
	out := map[string]int{}
	err := l.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketWaybillPool).ForEach(func(k, _ []byte) error {
			out[splitKey(k)[0]]++
			return nil
		})
	})
	return out, err
}

func getPack(tx *bolt.Tx, order string) (PackState, error) {
	ps := PackState{Order: order}
	_, err := getJSON(tx.Bucket(bucketPacks), []byte(order), &ps)
	return ps, err
}

// packable loads an order that may be packed now.
func packable(tx *bolt.Tx, no string) (Order, error) {
	o, found, err := getOrder(tx, no)
	if err != nil {
		return o, err
	}
	if !found {
		return o, errf(CodeNotFound, "order.not_found", "order", no)
	}
	if o.State != OrderPicked && o.State != OrderPacked {
		return o, errf(CodeConflict, "pack.not_picked", "order", no, "state", string(o.State))
	}
	return o, nil
}

// verifiedQty counts what is verified (in parcels or waiting) of a SKU and lot.
func (ps PackState) verifiedQty(sku, lot string) int64 {
	var n int64
	count := func(items []PackedItem) {
		for _, it := range items {
			if it.SKU == sku && it.Lot == lot {
				n += it.Qty
			}
		}
	}
	count(ps.Verified)
	for _, p := range ps.Parcels {
		count(p.Items)
	}
	return n
}

func addPacked(items []PackedItem, it PackedItem) []PackedItem {
	for i := range items {
		if items[i].SKU == it.SKU && items[i].Lot == it.Lot {
			items[i].Qty += it.Qty
			items[i].Serials = append(items[i].Serials, it.Serials...)
			return items
		}
	}
	return append(items, it)
}

func applyPackScanned(tx *bolt.Tx, ev *Event) error {
	var p PackScan
	if err := decode(ev, &p); err != nil {
		return err
	}
	o, err := packable(tx, p.Order)
	if err != nil {
		return err
	}
	if p.Qty <= 0 {
		return errf(CodeInvalid, "pick.qty_invalid")
	}
	code := tx.Bucket(bucketGTINs).Get([]byte(p.GTIN))
	if code == nil {
		return errf(CodeConflict, "pack.not_in_order", "gtin", p.GTIN, "order", p.Order)
	}
	skuCode := string(code)
	var sku SKU
	if _, err := getJSON(tx.Bucket(bucketSKUs), code, &sku); err != nil {
		return err
	}
	// which picked lot: the one scanned, or the only one picked for a code without a lot
	picked := map[string]int64{}
	for _, line := range o.Lines {
		if line.SKU != skuCode {
			continue
		}
		for _, a := range line.Allocs {
			if a.Picked > 0 {
				picked[a.Lot] += a.Picked
			}
		}
	}
	if len(picked) == 0 {
		return errf(CodeConflict, "pack.not_in_order", "gtin", p.GTIN, "order", p.Order)
	}
	ps, err := getPack(tx, p.Order)
	if err != nil {
		return err
	}
	lot := p.Lot
	if !sku.LotTracked {
		lot = ""
	} else if lot == "" {
		for l := range picked {
			if picked[l] > ps.verifiedQty(skuCode, l) {
				if lot != "" && lot != l {
					return errf(CodeInvalid, "pack.lot_needed", "sku", skuCode)
				}
				lot = l
			}
		}
	}
	if _, ok := picked[lot]; !ok {
		return errf(CodeConflict, "pack.wrong_lot", "lot", lot, "sku", skuCode)
	}
	if ps.verifiedQty(skuCode, lot)+p.Qty > picked[lot] {
		return errf(CodeConflict, "pack.too_many", "sku", skuCode, "picked", strconv.FormatInt(picked[lot], 10))
	}
	item := PackedItem{SKU: skuCode, Lot: lot, Qty: p.Qty}
	if sku.SerialTracked {
		if p.Serial == "" || p.Qty != 1 {
			return errf(CodeInvalid, "pack.serial_needed", "sku", skuCode)
		}
		if tx.Bucket(bucketSerialHolds).Get([]byte(p.Serial)) != nil {
			return errf(CodeConflict, "pick.serial_held", "serial", p.Serial)
		}
		// every serial verified into a parcel is in bucketShipped from that scan on
		if tx.Bucket(bucketShipped).Get([]byte(p.Serial)) != nil {
			return errf(CodeConflict, "pick.serial_twice", "serial", p.Serial)
		}
		item.Serials = []string{p.Serial}
		if err := tx.Bucket(bucketShipped).Put([]byte(p.Serial), []byte(p.Order)); err != nil {
			return err
		}
		touchSerial(tx, p.Serial, SerialTrace{Serial: p.Serial, SKU: skuCode, Lot: lot, Order: p.Order})
	}
	if lot != "" {
		touch(tx, skuCode, lot) // the lot's story: packed into this order
	}
	ps.Station = p.Station
	ps.Verified = addPacked(ps.Verified, item)
	p.SKU = skuCode
	if err := redecide(ev, p); err != nil {
		return err
	}
	return putJSON(tx.Bucket(bucketPacks), []byte(p.Order), ps)
}

// expectedWeight is the contents' weight plus the box and the packing allowance.
func expectedWeight(tx *bolt.Tx, items []PackedItem, box Box, gate WeightGate) (int, error) {
	total := box.TareG + gate.AllowanceG
	for _, it := range items {
		var sku SKU
		if _, err := getJSON(tx.Bucket(bucketSKUs), []byte(it.SKU), &sku); err != nil {
			return 0, err
		}
		total += sku.UnitWeightG * int(it.Qty)
	}
	return total, nil
}

func applyParcelClosed(tx *bolt.Tx, ev *Event) error {
	var p ParcelClose
	if err := decode(ev, &p); err != nil {
		return err
	}
	o, err := packable(tx, p.Order)
	if err != nil {
		return err
	}
	ps, err := getPack(tx, p.Order)
	if err != nil {
		return err
	}
	if len(ps.Verified) == 0 {
		return errf(CodeConflict, "pack.nothing_verified", "order", p.Order)
	}
	var box Box
	if found, err := getJSON(tx.Bucket(bucketBoxes), []byte(p.Box), &box); err != nil || !found {
		return errf(CodeNotFound, "box.not_found", "box", p.Box)
	}
	if p.WeightG <= 0 || p.WeightG > 100_000 {
		return errf(CodeInvalid, "pack.weight_invalid", "weight", strconv.Itoa(p.WeightG))
	}
	settings, err := getSettings(tx)
	if err != nil {
		return err
	}
	gate := settings.WeightGate
	expected, err := expectedWeight(tx, ps.Verified, box, gate)
	if err != nil {
		return err
	}
	off := p.WeightG - expected
	if tol := gate.Tolerance(expected); off > tol || off < -tol {
		if p.Override == nil {
			return errf(CodeConflict, "pack.weight_off", "weight", strconv.Itoa(p.WeightG), "expected", strconv.Itoa(expected),
				"off", strconv.Itoa(off), "tolerance", strconv.Itoa(tol))
		}
		var s Staff
		if found, _ := getJSON(tx.Bucket(bucketStaff), []byte(p.Override.Badge), &s); !found || (s.Role != RoleSupervisor && s.Role != RoleAdmin) || strings.TrimSpace(p.Override.Reason) == "" {
			return errf(CodeForbidden, "pack.override_invalid")
		}
	} else {
		p.Override = nil // within the gate: nothing to override
	}
	parcel := p.Parcel
	if parcel == nil {
		account := o.Carrier
		if account == "" {
			return errf(CodeConflict, "pack.no_carrier", "order", o.No)
		}
		wb, err := takeWaybill(tx, account)
		if err != nil {
			return err
		}
		parcel = &Parcel{N: len(ps.Parcels) + 1, Box: box.Code, Items: ps.Verified, WeightG: p.WeightG, ExpectedG: expected,
			Typed: p.Typed, Waybill: wb, Override: p.Override}
		if len(ps.Parcels) > 0 {
			parcel.Parent = ps.Parcels[0].Waybill
		}
	} else if wb, err := takeWaybill(tx, o.Carrier); err != nil || wb != parcel.Waybill { // replay: the pool gives the same number
		if err == nil {
			err = errf(CodeInternal, "waybill.replay_mismatch", "waybill", parcel.Waybill)
		}
		return err
	}
	if err := tx.Bucket(bucketWaybillUsed).Put([]byte(parcel.Waybill), []byte(o.No)); err != nil {
		return err
	}
	ps.Parcels = append(ps.Parcels, *parcel)
	touchParcelLots(tx, *parcel)
	ps.Verified, ps.Station = nil, p.Station
	// the order is packed when everything picked sits in parcels
	complete := true
	for _, line := range o.Lines {
		for _, a := range line.Allocs {
			if a.Picked > 0 && ps.verifiedQty(line.SKU, a.Lot) < a.Picked {
				complete = false
			}
		}
	}
	if complete && o.State == OrderPicked {
		o.State, o.Updated = OrderPacked, ev.At
		if err := putOrder(tx, &o, OrderPicked); err != nil {
			return err
		}
	}
	p.Parcel = parcel
	if err := redecide(ev, p); err != nil {
		return err
	}
	if err := putJSON(tx.Bucket(bucketPacks), []byte(o.No), ps); err != nil {
		return err
	}
	return bumpKPI(tx, p.Today, ev.Actor, func(s *ScanStats) {
		s.Parcels++
		if p.Typed {
			s.TypedWeights++
		}
		if p.Override != nil {
			s.WeightOverrides++
		}
	})
}

func applyShipped(tx *bolt.Tx, ev *Event) error {
	var p ShipConfirm
	if err := decode(ev, &p); err != nil {
		return err
	}
	o, err := orderTx(tx, p.Order)
	if err != nil {
		return err
	}
	if o.State != OrderPacked {
		return errf(CodeConflict, "pack.not_packed", "order", p.Order, "state", string(o.State))
	}
	o.State, o.Updated = OrderShipped, ev.At
	if o.Tote != "" {
		if err := tx.Bucket(bucketTotes).Delete([]byte(o.Tote)); err != nil {
			return err
		}
	}
	ps, err := getPack(tx, p.Order)
	if err != nil {
		return err
	}
	p.Waybills = nil
	for _, parcel := range ps.Parcels {
		touchParcelLots(tx, parcel)
		p.Waybills = append(p.Waybills, parcel.Waybill)
	}
	if err := redecide(ev, p); err != nil {
		return err
	}
	return putOrder(tx, &o, OrderPacked)
}

// touchParcelLots puts the event into the story of every lot in the parcel.
func touchParcelLots(tx *bolt.Tx, parcel Parcel) {
	for _, it := range parcel.Items {
		if it.Lot != "" {
			touch(tx, it.SKU, it.Lot)
		}
	}
}

// WeightRejected records a parcel the weight gate stopped, for the packer's figures.
type WeightRejected struct {
	Order    string `json:"order"`
	Station  string `json:"station"`
	WeightG  int    `json:"weight_g"`
	Expected int    `json:"expected_g"`
	Today    string `json:"today"`
}

func applyWeightRejected(tx *bolt.Tx, ev *Event) error {
	var p WeightRejected
	if err := decode(ev, &p); err != nil {
		return err
	}
	return bumpKPI(tx, p.Today, ev.Actor, func(s *ScanStats) { s.WeightRejects++ })
}

func applyPrintRequested(tx *bolt.Tx, ev *Event) error {
	var p PrintRequest
	if err := decode(ev, &p); err != nil {
		return err
	}
	if tx.Bucket(bucketStations).Get([]byte(p.Station)) == nil {
		return errf(CodeNotFound, "station.not_found", "station", p.Station)
	}
	ps, err := getPack(tx, p.Order)
	if err != nil {
		return err
	}
	if p.Parcel < 1 || p.Parcel > len(ps.Parcels) {
		return errf(CodeNotFound, "pack.parcel_not_found", "order", p.Order, "parcel", strconv.Itoa(p.Parcel))
	}
	job := PrintJob{ID: printJobID(ev.Seq), Station: p.Station, Kind: "waybill", Order: p.Order, Parcel: p.Parcel,
		Copy: p.Copy, Status: "queued", Actor: ev.Actor, Created: ev.At, Updated: ev.At}
	if err := putJSON(tx.Bucket(bucketPrintJobs), []byte(job.ID), job); err != nil {
		return err
	}
	if err := tx.Bucket(bucketOrderPrints).Put(append(prefixKey(p.Order), seqKey(ev.Seq)...), []byte(job.ID)); err != nil {
		return err
	}
	return tx.Bucket(bucketPrintQueue).Put([]byte(job.ID), []byte{})
}

func applyPrinted(tx *bolt.Tx, ev *Event) error {
	var p PrintResult
	if err := decode(ev, &p); err != nil {
		return err
	}
	var job PrintJob
	if found, err := getJSON(tx.Bucket(bucketPrintJobs), []byte(p.Job), &job); err != nil || !found {
		return errf(CodeNotFound, "print.job_not_found", "job", p.Job)
	}
	job.Tries++
	job.Status, job.Error, job.Updated = p.Status, p.Error, ev.At
	q := tx.Bucket(bucketPrintQueue)
	switch {
	case p.Status == "sent" || p.Status == "browser":
		if err := q.Delete([]byte(job.ID)); err != nil {
			return err
		}
	case job.GaveUp():
		if err := q.Delete([]byte(job.ID)); err != nil {
			return err
		}
	case p.Status != "failed":
		return errf(CodeInvalid, "print.status_invalid")
	}
	return putJSON(tx.Bucket(bucketPrintJobs), []byte(job.ID), job)
}

// printJobID names the job a print request makes after the request's
// sequence number; PrintJobs finds the jobs from the requests by it.
func printJobID(seq uint64) string { return "J" + strconv.FormatUint(seq, 10) }

// MaxPrintTries: a job that failed this often leaves the queue (the kiosk and
// the print jobs page show it; a supervisor may retry it).
const MaxPrintTries = 5

func applyPrintRetried(tx *bolt.Tx, ev *Event) error {
	var p PrintRetry
	if err := decode(ev, &p); err != nil {
		return err
	}
	var job PrintJob
	if found, err := getJSON(tx.Bucket(bucketPrintJobs), []byte(p.Job), &job); err != nil || !found {
		return errf(CodeNotFound, "print.job_not_found", "job", p.Job)
	}
	if !job.GaveUp() {
		return errf(CodeConflict, "print.not_failed", "job", job.ID, "status", "print.status."+job.Status)
	}
	job.Retries++
	job.Status, job.Updated = "queued", ev.At
	if err := putJSON(tx.Bucket(bucketPrintJobs), []byte(job.ID), job); err != nil {
		return err
	}
	return tx.Bucket(bucketPrintQueue).Put([]byte(job.ID), []byte{})
}

// --- commands and reads ---

func (l *Ledger) appendData(ctx context.Context, id, typ, actor, device string, data any) (Event, error) {
	ev, err := NewEvent(id, typ, actor, device, data)
	if err != nil {
		return Event{}, err
	}
	stored, _, err := l.Append(ctx, ev)
	return stored, err
}

// PackScan verifies one scanned item at the kiosk.
func (l *Ledger) PackScan(ctx context.Context, id string, p PackScan, actor, device string) (PackState, error) {
	p.Today, p.SKU = l.Today(), ""
	if _, err := l.appendData(ctx, id, EvPackScanned, actor, device, p); err != nil {
		if e, ok := AsError(err); ok && (e.Key == "pick.serial_twice" || e.Key == "pack.too_many") && l.checkedFor(p.Order, p.Serial) {
			// the same can read twice at this order's bench: not a copy, nor one too many
			return PackState{}, errf(CodeConflict, "pack.serial_checked", "serial", p.Serial)
		}
		return PackState{}, err
	}
	return l.Pack(p.Order)
}

// checkedFor tells whether a serial is already checked into this order.
func (l *Ledger) checkedFor(order, serial string) bool {
	var here bool
	_ = l.db.View(func(tx *bolt.Tx) error {
		here = serial != "" && string(tx.Bucket(bucketShipped).Get([]byte(serial))) == order
		return nil
	})
	return here
}

// CloseParcel weighs the verified items as a parcel and gives it a waybill.
// A parcel the weight gate refuses is recorded for the packer's figures.
func (l *Ledger) CloseParcel(ctx context.Context, id string, p ParcelClose, actor, device string) (Parcel, error) {
	p.Today, p.Parcel = l.Today(), nil
	stored, err := l.appendData(ctx, id, EvParcelClosed, actor, device, p)
	if err != nil {
		if e, ok := AsError(err); ok && e.Key == "pack.weight_off" {
			exp, _ := strconv.Atoi(e.Args["expected"])
			_, _ = l.appendData(ctx, id+":rejected", EvWeightRejected, actor, device, WeightRejected{Order: p.Order, Station: p.Station, WeightG: p.WeightG, Expected: exp, Today: p.Today})
		}
		return Parcel{}, err
	}
	if err := stored.DecodeData(&p); err != nil {
		return Parcel{}, err
	}
	return *p.Parcel, nil
}

// Ship confirms the parcels left with the carrier.
func (l *Ledger) Ship(ctx context.Context, order, station, actor, device string) (Order, error) {
	if _, err := l.appendData(ctx, "ship:"+order, EvShipped, actor, device, ShipConfirm{Order: order, Station: station}); err != nil {
		return Order{}, err
	}
	return l.Order(order)
}

// RequestPrint queues a label.
func (l *Ledger) RequestPrint(ctx context.Context, id string, p PrintRequest, actor, device string) (PrintJob, error) {
	stored, err := l.appendData(ctx, id, EvPrintRequested, actor, device, p)
	if err != nil {
		return PrintJob{}, err
	}
	return l.PrintJob(printJobID(stored.Seq))
}

// RecordPrint records what the printer said.
func (l *Ledger) RecordPrint(ctx context.Context, id string, r PrintResult) error {
	_, err := l.appendData(ctx, id, EvPrinted, "system", "printer", r)
	return err
}

// PrintJob returns one job.
func (l *Ledger) PrintJob(id string) (PrintJob, error) {
	var j PrintJob
	err := l.db.View(func(tx *bolt.Tx) error {
		found, err := getJSON(tx.Bucket(bucketPrintJobs), []byte(id), &j)
		if err == nil && !found {
			err = errf(CodeNotFound, "print.job_not_found", "job", id)
		}
		return err
	})
	return j, err
}

// RetryPrint sends a job that gave up back to the printer.
func (l *Ledger) RetryPrint(ctx context.Context, id, job, actor, device string) (PrintJob, error) {
	if _, err := l.appendData(ctx, id, EvPrintRetried, actor, device, PrintRetry{Job: job}); err != nil {
		return PrintJob{}, err
	}
	return l.PrintJob(job)
}

// PrintJobs lists jobs newest first: an order's from its index, the others
// walking the print requests back from the newest until Limit match.
func (l *Ledger) PrintJobs(f PrintFilter) ([]PrintJob, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var out []PrintJob
	err := l.db.View(func(tx *bolt.Tx) error {
		jobs := tx.Bucket(bucketPrintJobs)
		take := func(id []byte) (bool, error) {
			var j PrintJob
			if found, err := getJSON(jobs, id, &j); err != nil || !found {
				return false, err
			}
			if (f.Status == "" || j.Status == f.Status) && (f.Station == "" || j.Station == f.Station) && (f.Order == "" || j.Order == f.Order) {
				out = append(out, j)
			}
			return len(out) >= f.Limit, nil
		}
		var c *bolt.Cursor
		var p []byte
		if f.Order != "" {
			c, p = tx.Bucket(bucketOrderPrints).Cursor(), prefixKey(f.Order)
		} else {
			c, p = tx.Bucket(bucketByType).Cursor(), prefixKey(EvPrintRequested)
		}
		// from the last key under p backwards: seek past the prefix, step back
		k, _ := c.Seek(append(append([]byte{}, p[:len(p)-1]...), sep+1))
		var v []byte
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, p); k, v = c.Prev() {
			id := v
			if f.Order == "" {
				id = []byte(printJobID(seqFromKey(k[len(p):])))
			}
			if done, err := take(id); err != nil || done {
				return err
			}
		}
		return nil
	})
	return out, err
}

// QueuedPrintJobs lists jobs waiting for the printer, oldest first.
func (l *Ledger) QueuedPrintJobs() ([]PrintJob, error) {
	var out []PrintJob
	err := l.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketPrintQueue).ForEach(func(k, _ []byte) error {
			var j PrintJob
			if _, err := getJSON(tx.Bucket(bucketPrintJobs), k, &j); err != nil {
				return err
			}
			out = append(out, j)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, err
}

// Pack returns an order's packing state.
func (l *Ledger) Pack(order string) (PackState, error) {
	var ps PackState
	err := l.db.View(func(tx *bolt.Tx) error {
		var err error
		ps, err = getPack(tx, order)
		return err
	})
	return ps, err
}

// Boxes returns the catalogue, smallest first.
func (l *Ledger) Boxes() ([]Box, error) {
	boxes, err := listAll[Box](l, bucketBoxes)
	sort.SliceStable(boxes, func(i, j int) bool { return boxes[i].volume() < boxes[j].volume() })
	return boxes, err
}

// Station returns one station.
func (l *Ledger) Station(id string) (Station, error) {
	var s Station
	err := l.db.View(func(tx *bolt.Tx) error {
		found, err := getJSON(tx.Bucket(bucketStations), []byte(id), &s)
		if err == nil && !found {
			err = errf(CodeNotFound, "station.not_found", "station", id)
		}
		return err
	})
	return s, err
}

// Stations lists the packing stations.
func (l *Ledger) Stations() ([]Station, error) { return listAll[Station](l, bucketStations) }

// SaveStation creates or changes a station.
func (l *Ledger) SaveStation(ctx context.Context, s Station, actor, device string) error {
	if err := s.Validate(); err != nil {
		return err
	}
	_, err := l.appendData(ctx, newID(), EvStationUpserted, actor, device, s)
	return err
}

// SaveBox creates or changes a box.
func (l *Ledger) SaveBox(ctx context.Context, b Box, actor, device string) error {
	if err := b.Validate(); err != nil {
		return err
	}
	_, err := l.appendData(ctx, newID(), EvBoxUpserted, actor, device, b)
	return err
}

// LoadWaybills adds numbers to a pool.
func (l *Ledger) LoadWaybills(ctx context.Context, id string, p WaybillLoad, actor, device string) error {
	_, err := l.appendData(ctx, id, EvWaybillsLoaded, actor, device, p)
	return err
}

// SuggestBox is the smallest box the items fit in: every item's sides fit the
// box's sides (both sorted), and the items' volume with 15 % slack fits its volume.
func (l *Ledger) SuggestBox(items []PackedItem) (Box, error) {
	boxes, err := l.Boxes()
	if err != nil {
		return Box{}, err
	}
	var vol int64
	var biggest [3]int
	for _, it := range items {
		sku, err := l.SKU(it.SKU)
		if err != nil {
			return Box{}, err
		}
		d := []int{sku.LengthMM, sku.WidthMM, sku.HeightMM}
		sort.Sort(sort.Reverse(sort.IntSlice(d)))
		for i := range 3 {
			biggest[i] = max(biggest[i], d[i])
		}
		vol += int64(d[0]) * int64(d[1]) * int64(d[2]) * it.Qty
	}
	for _, b := range boxes {
		d := []int{b.LengthMM, b.WidthMM, b.HeightMM}
		sort.Sort(sort.Reverse(sort.IntSlice(d)))
		if d[0] >= biggest[0] && d[1] >= biggest[1] && d[2] >= biggest[2] && b.volume()*100 >= vol*115 {
			return b, nil
		}
	}
	if len(boxes) == 0 {
		return Box{}, errf(CodeNotFound, "box.none")
	}
	return boxes[len(boxes)-1], errf(CodeConflict, "box.too_small", "box", boxes[len(boxes)-1].Code)
}

// OrderInTote is the order whose picked units are in a tote.
func (l *Ledger) OrderInTote(tote string) (string, error) {
	var no string
	err := l.db.View(func(tx *bolt.Tx) error {
		var to TaskOrder
		found, err := getJSON(tx.Bucket(bucketTotes), []byte(tote), &to)
		if err == nil && !found {
			err = errf(CodeNotFound, "pack.tote_empty", "tote", tote)
		}
		no = to.Order
		return err
	})
	return no, err
}
