package views

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"tally/printing"
	"tally/scale"
	"tally/scan"
	"tally/wms"
)

// Every key the code can show must exist in both languages with the same placeholders.
func TestCatalogIsComplete(t *testing.T) {
	placeholder := regexp.MustCompile(`\{[a-z_]+\}`)
	for key, pair := range catalog {
		if pair[0] == "" || pair[1] == "" {
			t.Errorf("%s: missing a language", key)
		}
		en, zh := placeholder.FindAllString(pair[0], -1), placeholder.FindAllString(pair[1], -1)
		slices.Sort(en)
		slices.Sort(zh)
		if !slices.Equal(en, zh) {
			t.Errorf("%s: placeholders differ: en %v zh %v", key, en, zh)
		}
	}
}

// sourceKeys finds message keys in the code: the literal first argument of the
// calls and fields that carry one.
var keyUses = regexp.MustCompile(`(?:errf\(Code\w+, |rowErrf\(r\.line, |fail\(|Key: |okFeedback\(|T\(ctx, |Label: |Hint: |Title: |page\(c, )"([a-z_]+\.[a-z_.]*[a-z_])"`)

func TestEveryUsedKeyIsTranslated(t *testing.T) {
	var files []string
	for _, pattern := range []string{"../wms/*.go", "../server/*.go", "*.templ", "*.go"} {
		m, _ := filepath.Glob(pattern)
		files = append(files, m...)
	}
	found := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range keyUses.FindAllStringSubmatch(string(src), -1) {
			found++
			if !HasKey(m[1]) {
				t.Errorf("%s uses %q, which has no translation", f, m[1])
			}
		}
	}
	if found < 100 {
		t.Errorf("found only %d key uses: the pattern no longer matches the code", found)
	}
	var dynamic []string
	for _, r := range wms.Roles {
		dynamic = append(dynamic, "role."+string(r))
	}
	for _, k := range wms.LocationKinds {
		dynamic = append(dynamic, "kind."+string(k))
	}
	for _, s := range []wms.LotStatus{wms.LotAvailable, wms.LotQuarantine, wms.LotHold, wms.LotExpired} {
		dynamic = append(dynamic, "status."+string(s))
		if s != wms.LotAvailable {
			dynamic = append(dynamic, wms.LotRefusal(s))
		}
	}
	for _, k := range wms.ImportKinds {
		dynamic = append(dynamic, "import.kind."+string(k))
	}
	for _, k := range []scan.Kind{scan.KindTote, scan.KindBadge, scan.KindOrder, scan.KindWaybill} {
		dynamic = append(dynamic, "scankind."+string(k))
	}
	dynamic = append(dynamic, scan.ErrorKeys...)
	dynamic = append(dynamic, pickKeys...)
	dynamic = append(dynamic, scale.KeyGarbled, scale.KeyOverload, scale.KeyUnderload, scale.KeyBusy, scale.KeyUnit, scale.KeyNegative, scale.KeyCommand)
	for _, r := range wms.ShortReasons {
		dynamic = append(dynamic, "short."+r)
	}
	for _, k := range []wms.TaskKind{wms.TaskPick, wms.TaskPutBack, wms.TaskCount} {
		dynamic = append(dynamic, "taskkind."+string(k))
	}
	for _, s := range []wms.TaskState{wms.TaskOpen, wms.TaskActive, wms.TaskDone, wms.TaskCancelled} {
		dynamic = append(dynamic, "taskstate."+string(s))
	}
	for _, s := range []wms.LotStatus{wms.LotQuarantine, wms.LotHold, wms.LotExpired} {
		dynamic = append(dynamic, "pick.lot_"+string(s))
	}
	for _, st := range []string{"applied", "pending", "rejected"} {
		dynamic = append(dynamic, "count."+st)
	}
	dynamic = append(dynamic, "receive.warn_"+wms.ShortLifeRefuse, "receive.warn_"+wms.ShortLifeQuarantine)
	for _, step := range []string{"receive", "returns"} { // a scan where a shelf is expected (server.shelfScan)
		for _, k := range []string{".shelf_item", ".shelf_code"} {
			dynamic = append(dynamic, step+k, step+k+"_any")
		}
	}
	dynamic = append(dynamic, "scankind.gs1")
	for _, st := range []wms.OrderState{wms.OrderNew, wms.OrderAllocated, wms.OrderPicking, wms.OrderPicked, wms.OrderPacked, wms.OrderShipped, wms.OrderCancelled} {
		dynamic = append(dynamic, "orderstate."+string(st))
	}
	for _, k := range printing.RecallLabelKeys() {
		dynamic = append(dynamic, "recall.label."+k)
	}
	for _, k := range wms.WorkKinds {
		dynamic = append(dynamic, "kpi.kind."+string(k))
	}
	for _, r := range wms.GapReasons {
		dynamic = append(dynamic, "gap.reason."+r)
	}
	for _, k := range printing.DailyReportLabelKeys() {
		dynamic = append(dynamic, "daily."+k)
	}
	for _, ev := range []string{wms.EvImported, wms.EvStockAdjusted, wms.EvReceived, wms.EvMoved, wms.EvWaveReleased, wms.EvPicked, wms.EvPickUndone,
		wms.EvShortReported, wms.EvOrderCancelled, wms.EvPutBack, wms.EvLotStatus, wms.EvLotRecalled, wms.EvLotsSwept, wms.EvCounted, wms.EvCountDecided,
		wms.EvPackScanned, wms.EvParcelClosed, wms.EvShipped, wms.EvReturnReceived, wms.EvReturnMatched} {
		dynamic = append(dynamic, "trace."+ev)
	}
	for _, k := range dynamic {
		if !HasKey(k) {
			t.Errorf("%q has no translation", k)
		}
	}
}

func TestTranslate(t *testing.T) {
	ctx := WithLang(context.Background(), LangEN)
	if got := T(ctx, "stock.total", "qty", "12"); got != "Total 12" {
		t.Errorf("en: %q", got)
	}
	if got := T(WithLang(ctx, LangZH), "stock.total", "qty", "12"); got != "合计 12" {
		t.Errorf("zh: %q", got)
	}
	if got := T(ctx, "no.such.key"); got != "no.such.key" {
		t.Errorf("unknown key: %q", got)
	}
	for _, tc := range []struct{ user, cookie, accept, want string }{
		{"", "", "", LangZH},
		{"", "", "en-US,en;q=0.9", LangEN},
		{"", "", "zh-CN,zh;q=0.9,en;q=0.8", LangZH},
		{"", "en", "zh-CN", LangEN},
		{"zh-CN", "en", "en", LangZH},
		{"", "", "fr-FR,en;q=0.5", LangEN},
	} {
		if got := PickLang(tc.user, tc.cookie, tc.accept); got != tc.want {
			t.Errorf("PickLang(%q,%q,%q) = %s, want %s", tc.user, tc.cookie, tc.accept, got, tc.want)
		}
	}
}

// A message's argument that is itself a message key (a kind of code, a
// status) is shown in the user's words, in every answer, page or API.
func TestArgumentKeysAreTranslated(t *testing.T) {
	args := map[string]string{"code": "T00042", "kind": "scankind.tote"}
	if got := Translate(LangEN, "stock.code_kind", args); strings.Contains(got, "scankind") || !strings.Contains(got, "T00042") {
		t.Errorf("en: %q", got)
	}
	if got := Translate(LangZH, "stock.code_kind", args); strings.Contains(got, "scankind") || !strings.Contains(got, Translate(LangZH, "scankind.tote", nil)) {
		t.Errorf("zh: %q", got)
	}
}

// English says "1 scan", not "1 scans": a message that counts with {n}
// before a plural noun has a form for one, and Chinese stays as it is.
func TestCountsHaveAFormForOne(t *testing.T) {
	plural := regexp.MustCompile(`\{n\} (?:[a-z]+ )?[a-z]+s\b`)
	// a count under another name before a plural noun would never get its form for one
	otherName := regexp.MustCompile(`\{([a-z_]+)\} (?:[a-z]+ )?(?:rows|orders|lots|lines|units|scans|numbers|items|totes|tasks|parcels)\b`)
	for key, pair := range catalog {
		if strings.HasSuffix(key, ".one") {
			if _, ok := catalog[strings.TrimSuffix(key, ".one")]; !ok {
				t.Errorf("%s: a form for one of no message", key)
			}
			continue
		}
		if plural.MatchString(pair[0]) && !HasKey(key+".one") {
			t.Errorf("%s: %q has no form for one", key, pair[0])
		}
		if m := otherName.FindStringSubmatch(pair[0]); m != nil && m[1] != "n" {
			t.Errorf("%s: %q counts with {%s}; call the count {n} and give a form for one", key, pair[0], m[1])
		}
	}
	for _, tc := range []struct{ lang, key, n, want string }{
		{LangEN, "app.offline", "1", "No network: 1 scan waiting"},
		{LangEN, "app.offline", "2", "No network: 2 scans waiting"},
		{LangEN, "app.offline", "0", "No network: 0 scans waiting"},
		{LangZH, "app.offline", "1", "网络断开：1 条扫描待发送"},
		{LangEN, "floor.new_orders", "1", "1 new order"},
	} {
		if got := Translate(tc.lang, tc.key, map[string]string{"n": tc.n}); got != tc.want {
			t.Errorf("%s %s n=%s: %q, want %q", tc.lang, tc.key, tc.n, got, tc.want)
		}
	}
}
