package syncer

import (
	"encoding/json"
	"strings"
	"testing"

	"tally/wms"
)

const firstPage = `{"changes":[
 {"id":"OMS-SKU-1","type":"sku","owner":"DEFAULT","data":{"code":"TEA-01","name":"西湖龙井 250g","gtins":[],"unit_weight_g":260,"shelf_life_days":540,"lot_tracked":false,"zone":"Z"}},
 {"id":"OMS-ORD-1","type":"order","owner":"DEFAULT","at":"2026-01-01T00:00:30Z","data":{"no":"SO-OMS-1","platform":"TM","shop":"旗舰店","platform_order_ids":["3301882200117"],
   "recipient":{"name":"张三","phone":"13800000000","address":"浙江省杭州市西湖区文三路 1 号"},
   "lines":[{"sku":"TEA-01","qty":2,"platform_order_id":"3301882200117","platform_sub_order_id":"3301882200117-1"}],"carrier":"SF"}},
 {"id":"OMS-ORD-2","type":"order","data":{"no":"SO-OMS-2","channel":"tmall","recipient":{"name":"李四","phone":"13900000000","address":"上海市徐汇区 2 号"},"lines":[{"sku":"TEA-01","qty":1}]}},
 {"id":"OMS-CXL-1","type":"order.cancel","owner":"DEFAULT","data":{"no":"SO-OMS-2","reason":"customer cancelled"}},
 {"id":"OMS-CXL-2","type":"order.cancel","owner":"DEFAULT","data":{"no":"SO-NOWHERE","reason":"customer cancelled"}},
 {"id":"OMS-ASN-1","type":"asn","owner":"DEFAULT","data":{"id":"ASN-OMS-1","supplier":"华东食品","lines":[{"sku":"TEA-01","qty":96}]}},
 {"id":"OMS-RMA-1","type":"rma","owner":"DEFAULT","data":{"rma":"RMA-OMS-1","order":"SO-OMS-1","return_waybill":"SF1400010001","reason":"wrong size"}},
 {"id":"OMS-WB-1","type":"waybills","owner":"DEFAULT","data":{"account":"SF","numbers":["SF3000000000001","SF3000000000002"]}},
 {"id":"OMS-ADJ-1","type":"stock.instruction","owner":"DEFAULT","data":{"sku":"TEA-01","location":"A01-01-01","delta":5,"reason":"found in a corner"}},
 {"id":"OMS-X-1","type":"teleport","owner":"DEFAULT","data":{}},
 {"id":"OMS-ORD-3","type":"order","owner":"BEIBEI","data":{"no":"SO-BB-1","channel":"tmall","recipient":{"name":"王五","phone":"13700000000","address":"北京市 3 号"},"lines":[{"sku":"BB-RICE","qty":1}]}}
],"next":"c-11","more":true}`

// Each change enters once: a page read again (the crash between applying
// and recording the cursor) changes nothing; a change that cannot apply is
// refused once and pushed back to its upstream only.
func TestPullAppliesEachChangeOnce(t *testing.T) {
	r := newRig(t, Options{})
	o, other := newOMS(t), newOMS(t)
	up := r.upstream("oms", o.url(), wms.DefaultOwner)
	r.upstream("erp", other.url(), "")
	o.pages[""] = firstPage
	o.pages["c-11"] = `{"changes":[{"id":"OMS-ORD-1","type":"order","owner":"DEFAULT","data":{"no":"SO-OMS-1","channel":"tmall","recipient":{"name":"张三","phone":"13800000000","address":"changed"},"lines":[{"sku":"TEA-01","qty":9}]}}],"next":"c-12","more":false}`
	k := r.link("oms")

	page, err := DecodeChanges([]byte(firstPage))
	if err != nil {
		t.Fatal(err)
	}
	if err := k.applyPage(bg, up, page); err != nil {
		t.Fatal(err)
	}
	last := r.l.LastSeq()
	// crashed before RecordPull: the same page again changes nothing
	if err := k.applyPage(bg, up, page); err != nil {
		t.Fatal(err)
	}
	if r.l.LastSeq() != last {
		t.Fatalf("a repeated page appended %d events", r.l.LastSeq()-last)
	}
	// and through the wire, with the cursor not yet recorded
	more, err := k.pull(bg, up)
	if err != nil || !more {
		t.Fatalf("pull: more %v, %v", more, err)
	}
	if st := r.state("oms"); st.PullCursor != "c-11" || st.Pulled != 11 {
		t.Errorf("pull state %+v", st)
	}
	if got := r.l.LastSeq(); got != last+1 { // only the sync.pulled event
		t.Errorf("the pull appended %d events, want only the cursor", got-last)
	}
	if _, err := k.pull(bg, up); err != nil {
		t.Fatal(err)
	}
	if rq := o.requests(); !strings.Contains(rq[len(rq)-1].query, "after=c-11") || !strings.Contains(rq[len(rq)-1].query, "owner=DEFAULT") {
		t.Errorf("second pull asked %q", rq[len(rq)-1].query)
	}

	// what entered
	tea, err := r.l.SKU("TEA-01")
	if err != nil || tea.Zone != "" || tea.UnitWeightG != 260 {
		t.Errorf("sku %+v %v", tea, err)
	}
	ord, err := r.l.Order("SO-OMS-1")
	if err != nil || ord.Platform != "TM" || len(ord.Lines) != 1 || ord.Lines[0].PlatformSubOrderID != "3301882200117-1" || ord.Lines[0].Qty != 2 {
		t.Errorf("order %+v %v", ord, err)
	}
	if o2, err := r.l.Order("SO-OMS-2"); err != nil || o2.State != wms.OrderCancelled {
		t.Errorf("cancelled order %+v %v", o2.State, err)
	}
	if _, err := r.l.Receipt("ASN-OMS-1"); err != nil {
		t.Errorf("asn: %v", err)
	}
	if ins, _ := r.l.Instructions(false); len(ins) != 1 || ins[0].ID != "OMS-ADJ-1" || ins[0].Upstream != "oms" {
		t.Errorf("instructions %+v", ins)
	}
	refused, _ := r.l.Refusals("oms", 20)
	codes := map[string]string{}
	for _, x := range refused {
		codes[x.UpstreamID] = x.Code
	}
	want := map[string]string{"OMS-CXL-2": "order.not_found", "OMS-X-1": "change.type_unknown",
		"OMS-ORD-3": "owner.outside_upstream", "OMS-ORD-1": "key.changed"}
	for id, code := range want {
		if codes[id] != code {
			t.Errorf("change %s refused as %q, want %q (all: %v)", id, codes[id], code, codes)
		}
	}
	if len(refused) != len(want) {
		t.Errorf("%d refusals, want %d: %v", len(refused), len(want), codes)
	}
	// the refusals go back to this upstream, and not to the other one
	if err := k.count(k.config()); err != nil {
		t.Fatal(err)
	}
	for {
		more, err := k.pushBatch(bg, k.config())
		if err != nil {
			t.Fatal(err)
		}
		if !more {
			break
		}
	}
	backToOMS := 0
	for _, id := range o.accepted() {
		var ev struct{ Type string }
		_ = json.Unmarshal(o.got[id], &ev)
		if ev.Type == wms.EvChangeRefused {
			backToOMS++
		}
	}
	if backToOMS != len(want) {
		t.Errorf("%d refusals pushed to the OMS, want %d", backToOMS, len(want))
	}
	for _, ev := range r.outbox("erp", "") {
		if ev.Type == wms.EvChangeRefused {
			t.Errorf("the other upstream gets refusal %s", ev.ID)
		}
	}
}

// A malformed page is an error of that pull: nothing of it applies and the
// cursor stays.
func TestMalformedPageAppliesNothing(t *testing.T) {
	r := newRig(t, Options{})
	o := newOMS(t)
	up := r.upstream("oms", o.url(), "")
	bad := strings.Replace(firstPage, `"OMS-X-1"`, `"`+strings.Repeat("x", 65)+`"`, 1)
	o.pages[""] = bad
	k := r.link("oms")
	last := r.l.LastSeq()
	if _, err := k.pull(bg, up); err == nil {
		t.Fatal("a page with a 65-character ID was taken")
	}
	if r.l.LastSeq() != last || r.state("oms").PullCursor != "" {
		t.Error("a malformed page changed the ledger")
	}
	for name, body := range map[string]string{
		"not json":     `{"changes":`,
		"no next":      `{"changes":[]}`,
		"no changes":   `{"next":"c"}`,
		"long cursor":  `{"changes":[],"next":"` + strings.Repeat("c", 257) + `"}`,
		"space cursor": `{"changes":[],"next":"c 1"}`,
		"data array":   `{"changes":[{"id":"A","type":"order","data":[]}],"next":"c"}`,
		"no type":      `{"changes":[{"id":"A","data":{}}],"next":"c"}`,
		"too many":     `{"changes":[` + strings.Repeat(`{"id":"A","type":"sku","data":{}},`, 500) + `{"id":"A","type":"sku","data":{}}],"next":"c"}`,
	} {
		if _, err := DecodeChanges([]byte(body)); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
	if p, err := DecodeChanges([]byte(`{"changes":[],"next":"","more":false,"extra":1}`)); err != nil || len(p.Changes) != 0 {
		t.Errorf("an empty page: %+v %v", p, err)
	}
}

func FuzzDecodeChanges(f *testing.F) {
	f.Add([]byte(firstPage))
	f.Add([]byte(`{"changes":[],"next":"c-1","more":false}`))
	f.Add([]byte(`{"changes":[{"id":"A","type":"sku","data":{}}],"next":"c"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := DecodeChanges(body)
		if err != nil {
			return
		}
		if len(p.Changes) > MaxPullChanges || len(p.Next) > wms.MaxPullCursor || !printable(p.Next) {
			t.Fatalf("a page over the limits was taken: %d changes, next %q", len(p.Changes), p.Next)
		}
		for _, c := range p.Changes {
			if c.ID == "" || len(c.ID) > wms.MaxChangeID || !printable(c.ID) || c.Type == "" || len(c.Data) == 0 || c.Data[0] != '{' {
				t.Fatalf("a bad change was taken: %+v", c)
			}
		}
	})
}

func FuzzDecodeStock(f *testing.F) {
	f.Add([]byte(`{"owner":"DEFAULT","at":"2026-01-01T09:00:00Z","applied_through":3,"lines":[{"sku":"SKU00001","lot":"L1","qty":2}],"open_orders":["SO1"]}`))
	f.Add([]byte(`{"owner":"BEIBEI","lines":[]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		s, err := DecodeStock(body, "DEFAULT")
		if err != nil {
			return
		}
		if s.Owner != "DEFAULT" || len(s.Lines) > wms.MaxSnapshotLines {
			t.Fatalf("snapshot %+v taken", s)
		}
	})
}
