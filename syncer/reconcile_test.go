package syncer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"tally/wms"
)

// Status shows every upstream, its backlog counted from the cursor and
// kept up to date, and Reconcile writes one report per owner covered.
func TestStatusAndReconcile(t *testing.T) {
	r := newRig(t, Options{})
	o := newOMS(t)
	r.upstream("oms", o.url(), "")
	r.upstream("off", "https://oms.example.com/tally/v1", "")
	if _, err := r.l.SaveUpstream(bg, "", wms.Upstream{Name: "off", Dialect: wms.DialectTally, URL: "https://oms.example.com/tally/v1", Disabled: true}, "B9001", "test"); err != nil {
		t.Fatal(err)
	}
	r.orders("", 1, 5)
	want := r.outbox("oms", "")
	// the OMS is down at first: the backlog is counted and shown
	var down atomic.Bool
	down.Store(true)
	o.push = func(w http.ResponseWriter, ids []string, events []json.RawMessage) bool {
		if down.Load() {
			reply(w, 502, errorBody{Error: "bad gateway", Code: "gateway"})
			return true
		}
		return false
	}
	for _, owner := range []string{wms.DefaultOwner, wms.DemoOwner.Code} {
		lines, err := r.l.OnHand(owner)
		if err != nil {
			t.Fatal(err)
		}
		// the OMS applied everything so far
		body := fmt.Sprintf(`{"owner":%q,"at":"2026-01-01T09:00:00Z","applied_through":%d,"lines":[`, owner, r.l.LastSeq())
		for i, ln := range lines {
			if i > 0 {
				body += ","
			}
			qty := ln.Qty
			if i == 0 {
				qty += 3 // the OMS thinks there are three more
			}
			body += fmt.Sprintf(`{"sku":%q,"lot":%q,"qty":%d}`, ln.SKU, ln.Lot, qty)
		}
		o.stock[owner] = body + `],"open_orders":["SO-ONLY-THERE"]}`
	}
	r.run()
	var st []UpstreamStatus
	eventually(t, "offline with a backlog", func() bool {
		st = r.s.Status()
		return len(st) == 2 && st[1].Name == "oms" && st[1].LastError != "" && st[1].Backlog == len(want)
	})
	s := st[1]
	if s.Online || s.OfflineSince == nil || s.LastSuccess != nil || s.OldestAgeS < 0 || s.Dialect != "tally" || s.URL != o.url() {
		t.Errorf("offline status %+v", s)
	}
	if off := st[0]; off.Name != "off" || !off.Disabled || off.Online {
		t.Errorf("disabled upstream %+v", off)
	}
	if _, err := r.s.Reconcile(bg, "off"); !errors.Is(err, ErrNotRunning) {
		t.Errorf("reconciling a disabled upstream: %v", err)
	}
	down.Store(false)
	eventually(t, "drained", func() bool {
		st = r.s.Status()
		return st[1].Online && st[1].Backlog == 0
	})
	s = st[1]
	if s.LastSuccess == nil || s.OfflineSince != nil || s.PushedThrough != want[len(want)-1].Seq || s.OldestAgeS != 0 || s.DeadLetters != 0 {
		t.Errorf("online status %+v", s)
	}
	// reconnecting reconciled on its own
	eventually(t, "the reconnect's reconciliation", func() bool {
		rs, _ := r.l.Reconciliations("oms", 10)
		return len(rs) == 2
	})
	rs, _ := r.l.Reconciliations("oms", 10)
	for _, rep := range rs {
		// each owner's first line: the OMS has three units more
		if rep.Trigger != wms.ReconcileConnect || len(rep.Lines) != 1 || rep.Lines[0].Delta != -3 || len(rep.OnlyThere) != 1 {
			t.Errorf("report on reconnect %+v", rep)
		}
	}
	// asked for: one report per owner; the adjustments of the first ones are
	// in flight (after applied_through), so nothing differs any more
	ctx, cancel := context.WithTimeout(bg, 10*time.Second)
	defer cancel()
	reports, err := r.s.Reconcile(ctx, "oms")
	if err != nil || len(reports) != 2 {
		t.Fatalf("reports %+v %v", reports, err)
	}
	for _, rep := range reports {
		if rep.Trigger != wms.ReconcileRequest || len(rep.Lines) != 0 || len(rep.OnlyThere) != 1 || rep.Pending == 0 {
			t.Errorf("report %+v", rep)
		}
		if got, err := r.l.ReconciliationByID(rep.ID); err != nil || got.ID != rep.ID {
			t.Errorf("report %s not found: %v", rep.ID, err)
		}
	}
	// a new event is counted as it commits, and pushed
	before := len(o.accepted())
	r.orders("", 50, 1)
	eventually(t, "pushed", func() bool { return len(o.accepted()) > before })
	eventually(t, "caught up", func() bool { return r.s.Status()[1].Backlog == 0 })
}

// A snapshot for another owner than the one asked is refused.
func TestDecodeStockChecksTheOwner(t *testing.T) {
	if _, err := DecodeStock([]byte(`{"owner":"BEIBEI","lines":[]}`), "DEFAULT"); err == nil {
		t.Error("another owner's snapshot was taken")
	}
	if _, err := DecodeStock([]byte(`{"owner":"DEFAULT"}`), "DEFAULT"); err == nil {
		t.Error("a snapshot without lines was taken")
	}
	s, err := DecodeStock([]byte(`{"owner":"DEFAULT","applied_through":7,"lines":[{"sku":"A","qty":1}]}`), "")
	if err != nil || s.AppliedThrough != 7 || s.Lines[0].Owner != wms.DefaultOwner {
		t.Errorf("%+v %v", s, err)
	}
}
