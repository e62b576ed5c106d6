package server

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"tally/scan"
	"tally/syncer"
	"tally/wms"
)

// stockSyncer is the fake syncer with a shop's publication to show.
type stockSyncer struct {
	*fakeSyncer
	view syncer.ChannelStockView
}

func (s *stockSyncer) ChannelStock(upstream string) (syncer.ChannelStockView, bool) {
	if upstream != "tmall-1" && upstream != "tmall-g" {
		return syncer.ChannelStockView{}, false
	}
	return s.view, true
}

func newStockFixture(t *testing.T) *syncFixture {
	t.Helper()
	f := newSyncFixture(t, false)
	at := time.Date(2026, 11, 11, 2, 0, 0, 0, time.UTC)
	q := int64(7)
	ss := &stockSyncer{fakeSyncer: f.fake, view: syncer.ChannelStockView{FullAt: &at, Oversold: 3, Pushes: map[string]int64{"ok": 5, "refused": 1},
		Rows: []syncer.StockRow{
			{SKU: "SKU00001", ItemID: "601", OnHand: 10, Committed: 3, Available: 7, Share: 7, Want: 7, Published: 7, PublishedAt: &at, Answer: "ok", PlatformQty: &q},
			{SKU: "SKU00002", ItemID: "602", OnHand: 1, Committed: 4, Available: -3, Oversold: 3, Answer: "refused", Code: "isv.item-not-exist", Message: "no such item <b>"},
		}}}
	f.s = New(Config{Version: "test", Syncer: ss}, f.l, scan.NewParser(scan.DefaultPatterns()), slog.New(slog.DiscardHandler))
	resp, text := f.call(wms.RoleAdmin, "PUT", "/api/v1/sync/upstreams/tmall-1",
		`{"dialect":"taobao","url":"https://eco.taobao.com/router/rest","app_key":"12345678","secret":"0123456789abcdef0123","session":"SESSION-SECRET-1","owner":"DEFAULT","channel":"tmall"}`, "k-shop", nil)
	if resp.StatusCode != 200 {
		t.Fatalf("save the shop: %d %s", resp.StatusCode, text)
	}
	return f
}

// TestChannelStockAPI: rules saved with PUT (admin, idempotent), read back
// with GET beside what was published and the oversold figure.
func TestChannelStockAPI(t *testing.T) {
	f := newStockFixture(t)
	body := `{"listings":[{"sku":"SKU00001","item_id":"601","sku_id":"701","buffer":2},{"sku":"SKU00002","share":{"percent":50}}],"buffer":1,"offline_buffer_per_hour":2,"settle_s":1800}`
	var saved stockRulesIO
	if resp, text := f.call(wms.RoleAdmin, "PUT", "/api/v1/sync/upstreams/tmall-1/stock", body, "k-rules", &saved); resp.StatusCode != 200 {
		t.Fatalf("PUT: %d %s", resp.StatusCode, text)
	}
	if len(saved.Listings) != 2 || *saved.Listings[0].Buffer != 2 || saved.Listings[1].Share.Percent != 50 || saved.SettleS != 1800 {
		t.Errorf("saved %+v", saved)
	}
	seq := f.l.LastSeq()
	if resp, _ := f.call(wms.RoleAdmin, "PUT", "/api/v1/sync/upstreams/tmall-1/stock", body, "k-rules", nil); resp.StatusCode != 200 || f.l.LastSeq() != seq {
		t.Errorf("a repeat: %d, seq %d → %d", resp.StatusCode, seq, f.l.LastSeq())
	}
	if resp, _ := f.call(wms.RoleSupervisor, "PUT", "/api/v1/sync/upstreams/tmall-1/stock", body, "k-rules-2", nil); resp.StatusCode != 403 {
		t.Errorf("a supervisor may not change rules: %d", resp.StatusCode)
	}
	var got channelStockOut
	if resp, text := f.call(wms.RoleSupervisor, "GET", "/api/v1/sync/upstreams/tmall-1/stock", "", "", &got); resp.StatusCode != 200 {
		t.Fatalf("GET: %d %s", resp.StatusCode, text)
	} else if strings.Contains(text, "SESSION-SECRET") || strings.Contains(text, "0123456789abcdef0123") {
		t.Errorf("a secret in the answer: %s", text)
	}
	if !got.Running || got.Oversold != 3 || len(got.Rows) != 2 || got.Rows[1].Answer != "refused" || len(got.Rules.Listings) != 2 || got.Rules.Buffer != 1 {
		t.Errorf("GET %+v", got)
	}
	for _, c := range []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"not a shop", "GET", "/api/v1/sync/upstreams/oms/stock", "", 404, "not_found"},
		{"no such upstream", "GET", "/api/v1/sync/upstreams/nope/stock", "", 404, "not_found"},
		{"a SKU twice", "PUT", "/api/v1/sync/upstreams/tmall-1/stock", `{"listings":[{"sku":"A"},{"sku":"A"}]}`, 422, ""},
		{"both shares", "PUT", "/api/v1/sync/upstreams/tmall-1/stock", `{"share":{"percent":5,"fixed":3}}`, 422, ""},
		{"an unknown field", "PUT", "/api/v1/sync/upstreams/tmall-1/stock", `{"buffers":1}`, 400, ""},
		{"too big", "PUT", "/api/v1/sync/upstreams/tmall-1/stock", `{"listings":[` + strings.Repeat(`{"sku":"ABCDEFGHIJKLMNOPQRSTUVWXYZ"},`, 160000) + `{"sku":"X"}]}`, 422, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.name == "not a shop" {
				f.saveOMS()
			}
			resp, text := f.call(wms.RoleAdmin, c.method, c.path, c.body, "", nil)
			if resp.StatusCode/100 != c.status/100 || !strings.Contains(text, c.code) {
				t.Errorf("%d %s, want %d", resp.StatusCode, text, c.status)
			}
		})
	}
}

// TestChannelStockPageAndMetrics: the page shows each SKU's publication,
// the platform's answer and the oversold rows first; /metrics carries the
// oversold units and the pushes; the sync page links to the stock page.
func TestChannelStockPageAndMetrics(t *testing.T) {
	f := newStockFixture(t)
	c := f.page("B4001", "4444")
	resp, body := c.get("/sync/stock/tmall-1")
	if resp.StatusCode != 200 {
		t.Fatalf("page: %d %s", resp.StatusCode, body)
	}
	first := strings.Index(body, `data-sku="SKU00002"`)
	second := strings.Index(body, `data-sku="SKU00001"`)
	if first < 0 || second < 0 || first > second {
		t.Errorf("the oversold row must come first: %d %d", first, second)
	}
	for _, want := range []string{"isv.item-not-exist", "no such item &lt;b&gt;", `data-answer="refused"`, `data-testid="row-oversold"`, `class="warn"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if strings.Contains(body, "SESSION-SECRET") {
		t.Error("the session on the page")
	}
	if _, sync := c.get("/sync"); !strings.Contains(sync, `href="/sync/stock/tmall-1"`) {
		t.Error("the sync page does not link to the shop's stock")
	}
	// a shop without a running link: its rules, nothing published
	if resp, text := f.call(wms.RoleAdmin, "PUT", "/api/v1/sync/upstreams/jd-1",
		`{"dialect":"jd","url":"https://api.jd.com/routerjson","app_key":"87654321","secret":"0123456789abcdef0123","session":"SESSION-SECRET-2","owner":"DEFAULT","channel":"jd"}`, "k-jd", nil); resp.StatusCode != 200 {
		t.Fatalf("save jd-1: %d %s", resp.StatusCode, text)
	}
	if _, body := c.get("/sync/stock/jd-1"); !strings.Contains(body, `data-testid="stock-not-running"`) || !strings.Contains(body, "/api/v1/sync/upstreams/jd-1/stock") {
		t.Errorf("jd-1's page: %s", body)
	}
	if resp, _ := c.get("/sync/stock/nope"); resp.StatusCode != 404 {
		t.Errorf("no such shop: %d", resp.StatusCode)
	}
	if resp, _ := f.page("B1001", "1111").get("/sync/stock/tmall-1"); resp.StatusCode != 403 {
		t.Errorf("a picker: %d", resp.StatusCode)
	}
	_, metrics := f.as(wms.RoleSupervisor).get("/metrics")
	for _, want := range []string{`tally_channel_oversold_units{upstream="tmall-1"} 3`, `tally_channel_stock_pushes_total{upstream="tmall-1",answer="ok"} 5`,
		`tally_channel_stock_pushes_total{upstream="tmall-1",answer="refused"} 1`} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
}
