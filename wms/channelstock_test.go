package wms

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

func fixed(n int64) *int64 { return &n }

// TestChannelQty is the formula, case by case.
func TestChannelQty(t *testing.T) {
	none := Share{}
	half, third := Share{Percent: 50}, Share{Percent: 30}
	ten, twenty := Share{Fixed: fixed(10)}, Share{Fixed: fixed(20)}
	zero := Share{Fixed: fixed(0)}
	for _, c := range []struct {
		name          string
		available     int64
		own           Share
		all           []Share
		buffer, extra int64
		want          int64
	}{
		{"everything, no buffer", 40, none, []Share{none}, 0, 0, 40},
		{"buffer", 40, none, []Share{none}, 5, 0, 35},
		{"buffer and extra", 40, none, []Share{none}, 5, 12, 23},
		{"never below zero", 10, none, []Share{none}, 5, 12, 0},
		{"oversold publishes zero", -3, none, []Share{none}, 0, 0, 0},
		{"oversold with a share", -3, half, []Share{half, none}, 0, 0, 0},
		{"nothing", 0, none, []Share{none}, 0, 0, 0},
		{"half", 41, half, []Share{half, none}, 0, 0, 20},
		{"the rest after half", 41, none, []Share{half, none}, 0, 0, 21},
		{"half and buffer", 41, half, []Share{half}, 3, 0, 17},
		{"percentages over 100 are pro rata", 100, half, []Share{half, half, third}, 0, 0, 38},
		{"the rest after over 100 is nothing", 100, none, []Share{half, half, third, none}, 0, 0, 0},
		{"fixed", 40, ten, []Share{ten, none}, 0, 0, 10},
		{"the rest after fixed", 40, none, []Share{ten, none}, 0, 0, 30},
		{"fixed over available is pro rata", 15, ten, []Share{ten, twenty}, 0, 0, 5},
		{"fixed over available, the other", 15, twenty, []Share{ten, twenty}, 0, 0, 10},
		{"percent of what fixed left", 40, half, []Share{ten, half, none}, 0, 0, 15},
		{"rest after fixed and percent", 40, none, []Share{ten, half, none}, 0, 0, 15},
		{"fixed zero", 40, zero, []Share{zero, none}, 0, 0, 0},
		{"fixed with buffer", 40, ten, []Share{ten}, 4, 2, 4},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := ChannelQty(c.available, c.own, c.all, c.buffer, c.extra); got != c.want {
				t.Errorf("ChannelQty(%d, %+v, %d shares, %d, %d) = %d, want %d", c.available, c.own, len(c.all), c.buffer, c.extra, got, c.want)
			}
		})
	}
}

// TestChannelSharesNeverExceedAvailable: whatever the split, the channels
// that take a share never get more than what is available together.
func TestChannelSharesNeverExceedAvailable(t *testing.T) {
	shares := []Share{{}, {Percent: 1}, {Percent: 33}, {Percent: 50}, {Percent: 100}, {Fixed: fixed(0)}, {Fixed: fixed(7)}, {Fixed: fixed(1000)}}
	for avail := int64(-5); avail <= 120; avail += 7 {
		for i := range shares {
			for j := range shares {
				for k := range shares {
					all := []Share{shares[i], shares[j], shares[k]}
					var split, rest int64
					for _, s := range all {
						q := ChannelQty(avail, s, all, 0, 0)
						if q < 0 {
							t.Fatalf("negative: %d of %d", q, avail)
						}
						if s.Split() {
							split += q
						} else {
							rest = q
						}
					}
					if split+rest > max(avail, 0) {
						t.Fatalf("available %d, shares %+v: split %d + rest %d", avail, all, split, rest)
					}
				}
			}
		}
	}
}

func testShop(t *testing.T, l *Ledger, name string) {
	t.Helper()
	if _, err := l.SaveUpstream(context.Background(), "", Upstream{Name: name, Dialect: DialectTaobao, URL: "http://127.0.0.1:9/router/rest",
		AppKey: "12345678", Secret: "0123456789abcdef0123", Session: "sess", Owner: DefaultOwner, Channel: "tmall"}, "B9001", "test"); err != nil {
		t.Fatal(err)
	}
}

// TestStockRulesSaved: rules are kept per shop, refused when wrong.
func TestStockRulesSaved(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	ctx := context.Background()
	testShop(t, l, "tmall-1")
	buf := int64(2)
	r := StockRules{Upstream: "tmall-1", Buffer: 1, OfflineBufferPerHour: 3, SettleS: 600,
		Listings: []ListingRule{{SKU: " BOOK ", ItemID: "6001", SkuID: "7001", Buffer: &buf}, {SKU: "MILK", Share: &Share{Percent: 40}}}}
	saved, err := l.SaveStockRules(ctx, "k1", r, "B9001", "test")
	if err != nil {
		t.Fatal(err)
	}
	got, err := l.StockRulesOf("tmall-1")
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Listings) != 2 || got.Listings[0].SKU != "BOOK" || saved.Listings[0].SKU != "BOOK" {
		t.Fatalf("saved %+v", got)
	}
	if got.BufferOf("BOOK") != 2 || got.BufferOf("MILK") != 1 || got.BufferOf("X") != 1 {
		t.Errorf("buffers %d %d %d", got.BufferOf("BOOK"), got.BufferOf("MILK"), got.BufferOf("X"))
	}
	if got.ShareOf("MILK").Percent != 40 || got.ShareOf("BOOK").Split() || !got.Publishes("BOOK") || got.Publishes("X") {
		t.Errorf("shares or listings wrong: %+v", got)
	}
	if got.Settle() != 600 {
		t.Errorf("settle %d", got.Settle())
	}
	if none, _ := l.StockRulesOf("other"); len(none.Listings) != 0 || none.Upstream != "other" {
		t.Errorf("no rules: %+v", none)
	}
	neg := int64(-1)
	for _, c := range []struct {
		name string
		r    StockRules
		key  string
	}{
		{"no such shop", StockRules{Upstream: "nope"}, "upstream.not_found"},
		{"a SKU twice", StockRules{Upstream: "tmall-1", Listings: []ListingRule{{SKU: "A"}, {SKU: "A"}}}, "stock_rules.sku_twice"},
		{"an empty SKU", StockRules{Upstream: "tmall-1", Listings: []ListingRule{{SKU: " "}}}, "stock_rules.sku_invalid"},
		{"a negative buffer", StockRules{Upstream: "tmall-1", Listings: []ListingRule{{SKU: "A", Buffer: &neg}}}, "stock_rules.buffer_invalid"},
		{"a shop buffer too big", StockRules{Upstream: "tmall-1", Buffer: MaxStockBuffer + 1}, "stock_rules.buffer_invalid"},
		{"percent over 100", StockRules{Upstream: "tmall-1", Share: Share{Percent: 101}}, "stock_rules.percent_invalid"},
		{"both shares", StockRules{Upstream: "tmall-1", Share: Share{Percent: 10, Fixed: fixed(3)}}, "stock_rules.share_both"},
		{"negative fixed", StockRules{Upstream: "tmall-1", Listings: []ListingRule{{SKU: "A", Share: &Share{Fixed: &neg}}}}, "stock_rules.fixed_invalid"},
		{"an ID with a space", StockRules{Upstream: "tmall-1", Listings: []ListingRule{{SKU: "A", ItemID: "1 2"}}}, "stock_rules.listing_invalid"},
		{"offline per hour", StockRules{Upstream: "tmall-1", OfflineBufferPerHour: -1}, "stock_rules.offline_invalid"},
		{"settle", StockRules{Upstream: "tmall-1", SettleS: MaxStockSettleS + 1}, "stock_rules.settle_invalid"},
		{"too many", StockRules{Upstream: "tmall-1", Listings: make([]ListingRule, MaxStockListings+1)}, "stock_rules.too_many"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := l.SaveStockRules(ctx, "", c.r, "B9001", "test")
			var e *Error
			if !errors.As(err, &e) || e.Key != c.key {
				t.Errorf("got %v, want %s", err, c.key)
			}
		})
	}
}

// TestChannelStockFigures: on hand counts picked units until they ship;
// committed counts open orders' units until they ship or are cancelled.
func TestChannelStockFigures(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	ctx := context.Background()
	in := OrderIntake{No: "SO1", Channel: "tmall", Recipient: Recipient{Name: "王芳", Phone: "13800138000", Address: "浙江省杭州市西湖区文三路 100 号"},
		Lines: OrderLines(LineIn{SKU: "BOOK", Qty: 3})}
	if _, _, err := l.ReceiveOrder(ctx, "", in, "test", "test"); err != nil {
		t.Fatal(err)
	}
	in.No, in.Lines = "SO2", OrderLines(LineIn{SKU: "BOOK", Qty: 9})
	if _, _, err := l.ReceiveOrder(ctx, "", in, "test", "test"); err != nil {
		t.Fatal(err)
	}
	figs, seq, err := l.ChannelStock("")
	if err != nil {
		t.Fatal(err)
	}
	if seq != l.LastSeq() {
		t.Errorf("seq %d, ledger at %d", seq, l.LastSeq())
	}
	want := map[string]SKUStock{"BOOK": {SKU: "BOOK", OnHand: 7, Committed: 12}, "MILK": {SKU: "MILK", OnHand: 62}}
	if len(figs) != 2 {
		t.Fatalf("figures %+v", figs)
	}
	for _, f := range figs {
		if f != want[f.SKU] {
			t.Errorf("%s: %+v, want %+v", f.SKU, f, want[f.SKU])
		}
	}
	if figs[0].Available() != -5 {
		t.Errorf("BOOK available %d, want -5 (oversold)", figs[0].Available())
	}
	if _, err := l.CancelOrder(ctx, "SO2", "test", "c1", "test", "test"); err != nil {
		t.Fatal(err)
	}
	figs, _, _ = l.ChannelStock(DefaultOwner)
	if figs[0] != (SKUStock{SKU: "BOOK", OnHand: 7, Committed: 3}) {
		t.Errorf("after the cancel: %+v", figs[0])
	}
}

// FuzzStockRules: any body a PUT could carry is refused with a message or
// taken; rules taken publish a quantity between zero and what is
// available, whatever the figures.
func FuzzStockRules(f *testing.F) {
	f.Add([]byte(`{"upstream":"s","listings":[{"sku":"A","item_id":"1","buffer":2,"share":{"percent":50}}],"buffer":1,"offline_buffer_per_hour":3,"settle_s":60}`), int64(40), int64(3))
	f.Add([]byte(`{"upstream":"s","share":{"fixed":10},"all_skus":true}`), int64(-5), int64(0))
	f.Add([]byte(`{"listings":[{"sku":"A"},{"sku":"A"}]}`), int64(0), int64(0))
	f.Fuzz(func(t *testing.T, raw []byte, available, extra int64) {
		var r StockRules
		if json.Unmarshal(raw, &r) != nil {
			return
		}
		if err := r.validate(); err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Key == "" {
				t.Fatalf("not a domain error: %v", err)
			}
			return
		}
		if err := r.validate(); err != nil {
			t.Fatalf("valid rules are valid again: %v", err)
		}
		available, extra = available%1_000_000_000, max(extra%1_000_000, 0)
		var all []Share
		for _, l := range r.Listings {
			all = append(all, r.ShareOf(l.SKU))
		}
		for _, l := range r.Listings {
			q := ChannelQty(available, r.ShareOf(l.SKU), all, r.BufferOf(l.SKU), extra)
			if q < 0 || q > max(available, 0) {
				t.Fatalf("%s: %d of %d", l.SKU, q, available)
			}
		}
	})
}
