package wms

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// internalFields are payload fields that are the warehouse's own decisions,
// version flags or secrets: none may reach an upstream.
var internalFields = []string{
	"decided", "strict", "today", "allocs", "realloc", "moves", "waiting", "count_task", "putback_task",
	"pin_hash", "session_hash", "hash", "override", "expected_g", "swap", "why", "location", "picked_lot",
	"threshold", "state", "actor", "result",
}

// Every event in the stores that earlier versions' tests left behind (real
// events from real ledgers) goes through Outward: a type that goes upstream
// yields its catalogue shape carrying the facts and its owner and none of the
// internal fields; a type that never does yields nothing. Every upstream type
// must turn up in those stores.
func TestOutwardShapes(t *testing.T) {
	files, err := filepath.Glob("testdata/v5/*.db.gz")
	if err != nil || len(files) == 0 {
		t.Fatalf("no stores in testdata/v5: %v", err)
	}
	seen := map[string]int{}
	for _, f := range files {
		dir := t.TempDir()
		if err := gunzipTo(f, filepath.Join(dir, dbFile)); err != nil {
			t.Fatal(err)
		}
		l, err := Open(dir, Options{Zone: time.FixedZone("CST", 8*3600)})
		if err != nil {
			t.Fatal(err)
		}
		checkOutward(t, l, filepath.Base(f), seen)
		l.Close()
	}
	// Lot holds and releases by hand, which no old store has.
	l, _ := openTest(t)
	seedSmall(t, l)
	for i, st := range []LotStatus{LotHold, LotAvailable} {
		if _, err := l.SetLotStatus(ctx, "lot-status-"+string(st), LotStatusChange{SKU: "MILK", Lot: "L1", Status: st, Reason: "supplier query"}, "B4001", "test"); err != nil {
			t.Fatalf("%d %s: %v", i, st, err)
		}
	}
	// What only the syncer writes: a refused change and a reconciliation
	// that found a difference.
	saveTestUpstream(t, l, "oms", "")
	if _, err := l.RefuseChange(ctx, "refused-1", ChangeRefusal{Upstream: "oms", UpstreamID: "CXL-9", ChangeType: "order.cancel", Code: "order.already_shipped", Reason: "shipped"}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Reconcile(ctx, "oms", ReconcileRequest, StockSnapshot{AppliedThrough: 1, Lines: []OnHandLine{{SKU: "BOOK", Qty: 6}}}); err != nil {
		t.Fatal(err)
	}
	checkOutward(t, l, "fresh", seen)
	for _, spec := range Catalogue() {
		if spec.Outward != nil && seen[spec.Type] == 0 {
			t.Errorf("no event of type %s that goes upstream in the stores: its shape is untested", spec.Type)
		}
	}
}

// checkOutward puts every event of a ledger through Outward and counts the
// types that went upstream.
func checkOutward(t *testing.T, l *Ledger, name string, seen map[string]int) {
	t.Helper()
	var events []Event
	if err := l.view(func(tx *txn) error {
		return tx.Bucket(bucketEvents).ForEach(func(_, v []byte) error {
			var ev Event
			if err := json.Unmarshal(v, &ev); err != nil {
				return err
			}
			events = append(events, ev)
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	for _, ev := range events {
		spec, _ := SpecOf(ev.Type)
		out, ok, err := l.Outward(ev)
		where := name + " " + ev.Type + " " + ev.ID
		switch {
		case err != nil:
			t.Errorf("%s: %v", where, err)
			continue
		case spec.Outward == nil && ok:
			t.Errorf("%s: a type that never goes upstream said %+v", where, out)
			continue
		case !ok:
			continue
		}
		seen[ev.Type]++
		if got, want := reflect.TypeOf(out.Data), reflect.TypeOf(spec.Outward); got != want {
			t.Errorf("%s: shape %v, the catalogue says %v", where, got, want)
		}
		if out.ID != ev.ID || out.Seq != ev.Seq || out.Type != ev.Type || !out.At.Equal(ev.At) {
			t.Errorf("%s: envelope %+v", where, out)
		}
		if spec.Scope == ScopeOwner && (out.Owner == "" || out.Owner != OwnerOf(ev)) {
			t.Errorf("%s: owner %q, want %q", where, out.Owner, OwnerOf(ev))
		}
		if spec.Scope != ScopeOwner && out.Owner != "" {
			t.Errorf("%s: a %s event names owner %q", where, spec.Scope, out.Owner)
		}
		raw, err := json.Marshal(out.Data)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range jsonKeys(t, raw) {
			if slices.Contains(internalFields, k) {
				t.Errorf("%s: internal field %q goes upstream: %s", where, k, raw)
			}
		}
		checkFacts(t, where, ev, out.Data)
	}
}

// checkFacts holds each shape to the facts its event says.
func checkFacts(t *testing.T, where string, ev Event, shape any) {
	t.Helper()
	switch o := shape.(type) {
	case OutStockChange:
		var p StockAdjustment
		mustDecode(t, ev, &p)
		if o.SKU != p.SKU || o.Lot != p.Lot || o.Delta != p.Delta || o.Reason != p.Reason || o.Delta == 0 {
			t.Errorf("%s: %+v from %+v", where, o, p)
		}
	case OutShipment:
		var p ShipConfirm
		mustDecode(t, ev, &p)
		var waybills []string
		units := int64(0)
		for _, pc := range o.Parcels {
			waybills = append(waybills, pc.Waybill)
			for _, it := range pc.Items {
				units += it.Qty
			}
		}
		if len(o.Parcels) == 0 || units == 0 || (p.Waybills != nil && !slices.Equal(waybills, p.Waybills)) {
			t.Errorf("%s: shipment %+v, the event says waybills %v", where, o, p.Waybills)
		}
	case OutReturn:
		if len(o.Lines) == 0 || o.Parcel == "" {
			t.Errorf("%s: return %+v", where, o)
		}
		if ev.Type == EvReturnMatched {
			var m ReturnMatch
			mustDecode(t, ev, &m)
			if o.Order != m.Order || o.Parcel != m.Parcel {
				t.Errorf("%s: matched %+v, the event says %+v", where, o, m)
			}
		}
	case OutReceived:
		var p Receiving
		mustDecode(t, ev, &p)
		if o.SKU != p.SKU || o.Qty != p.Qty || o.Quarantined != p.Quarantined {
			t.Errorf("%s: %+v from %+v", where, o, p)
		}
	case OutCountAdjusted:
		for _, c := range o.Lines {
			if c.Delta == 0 || c.Delta != c.Counted-c.Books {
				t.Errorf("%s: count change %+v", where, c)
			}
		}
		if len(o.Lines) == 0 {
			t.Errorf("%s: a count adjustment without a change", where)
		}
	case OutLotStatus:
		var p LotStatusChange
		mustDecode(t, ev, &p)
		if o.SKU != p.SKU || o.Lot != p.Lot || o.Status != p.Status || !slices.Equal(o.Serials, p.Serials) {
			t.Errorf("%s: %+v from %+v", where, o, p)
		}
	case OutOrderCancelled:
		var p OrderCancel
		mustDecode(t, ev, &p)
		if o.Order != p.No || o.Reason != p.Reason {
			t.Errorf("%s: %+v from %+v", where, o, p)
		}
	}
}

func mustDecode(t *testing.T, ev Event, v any) {
	t.Helper()
	if err := ev.DecodeData(v); err != nil {
		t.Fatal(err)
	}
}

// jsonKeys lists every object key in a JSON document, at any depth.
func jsonKeys(t *testing.T, raw []byte) []string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	var keys []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				keys = append(keys, k)
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return keys
}

// The catalogue's outward shapes are types of their own, never a stored
// payload passed on.
func TestOutwardShapesAreNotPayloads(t *testing.T) {
	payloads := map[reflect.Type]bool{}
	for _, s := range Catalogue() {
		payloads[reflect.TypeOf(s.Payload)] = true
	}
	for _, s := range Catalogue() {
		if s.Outward == nil {
			if s.outward != nil {
				t.Errorf("%s: an outward function without a shape", s.Type)
			}
			continue
		}
		ty := reflect.TypeOf(s.Outward)
		if payloads[ty] || !strings.HasPrefix(ty.Name(), "Out") || s.outward == nil {
			t.Errorf("%s: outward shape %v", s.Type, ty)
		}
	}
}
