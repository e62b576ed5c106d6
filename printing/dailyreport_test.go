package printing

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tally/views"
)

var shanghai = time.FixedZone("CST", 8*3600)

// sampleDaily is a day of a small warehouse: pickers, a packer, a receiver, a temporary
// picker with too little data, gaps with and without a reason.
func sampleDaily(lang string) DailyReportData {
	day := time.Date(2026, 11, 11, 0, 0, 0, 0, shanghai)
	at := func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	words := func(key string) string { return views.Translate(lang, key, nil) }
	hourly := func(base, step int) []ReportPoint {
		var ps []ReportPoint
		for h := 8; h < 18; h++ {
			y := float64(base + (h*step)%23)
			if h == 12 {
				y = math.NaN()
			}
			ps = append(ps, ReportPoint{X: fmt.Sprintf("%02d:00", h), Y: y})
		}
		return ps
	}
	return DailyReportData{
		Warehouse: "杭州一号仓 Hangzhou DC1",
		From:      day, To: day.AddDate(0, 0, 1), Zone: shanghai,
		Generated: at(18, 5),
		Peak:      true,
		Labels:    views.ReportLabels(lang, "daily.", DailyReportLabelKeys()),
		Totals: ReportFigures{
			Lines: 12345, Units: 23456, Orders: 1789, Received: 3456, PutAway: 3400, Returns: 87, Counts: 12,
			WrongScans: 23, ShortPicks: 4, WeightRejects: 3, Overrides: 1, Undos: 7,
			SecondsPerOrder: 71.4, PickAccuracy: 99.61, PackAccuracy: 99.83,
			Direct: 31*time.Hour + 30*time.Minute, Indirect: 4 * time.Hour, Gap: 75 * time.Minute,
		},
		People: []ReportPerson{
			{Name: "李娜", Badge: "B1002", Role: words("role.picker"), Performance: 88.4, Utilisation: 81,
				ReportFigures: ReportFigures{Lines: 540, Units: 790, WrongScans: 2, PickAccuracy: 99.6, PackAccuracy: math.NaN(), SecondsPerOrder: math.NaN(), Direct: 6*time.Hour + 40*time.Minute, Indirect: 30 * time.Minute, Gap: 20 * time.Minute}},
			{Name: "张伟", Badge: "B1001", Role: words("role.picker"), Performance: 112.25, Utilisation: 92,
				ReportFigures: ReportFigures{Lines: 702, Units: 1044, PickAccuracy: 100, PackAccuracy: math.NaN(), SecondsPerOrder: math.NaN(), Direct: 7 * time.Hour, Indirect: 20 * time.Minute}},
			{Name: "王磊", Badge: "B1003", Role: words("role.picker"), Performance: 71, Utilisation: 66,
				ReportFigures: ReportFigures{Lines: 388, Units: 512, ShortPicks: 3, Undos: 4, PickAccuracy: 98.2, PackAccuracy: math.NaN(), SecondsPerOrder: math.NaN(), Direct: 5 * time.Hour, Indirect: time.Hour, Gap: 40 * time.Minute}},
			{Name: "刘洋", Badge: "B2001", Role: words("role.packer"), Performance: 97, Utilisation: 88,
				ReportFigures: ReportFigures{Orders: 1789, SecondsPerOrder: 71.4, WeightRejects: 3, PickAccuracy: math.NaN(), PackAccuracy: 99.83, Direct: 7 * time.Hour, Indirect: time.Hour}},
			{Name: "杨帆", Badge: "B3001", Role: words("role.receiver"), Performance: 101, Utilisation: 90,
				ReportFigures: ReportFigures{Received: 3456, PutAway: 3400, PickAccuracy: math.NaN(), PackAccuracy: math.NaN(), SecondsPerOrder: math.NaN(), Direct: 5*time.Hour + 50*time.Minute, Indirect: time.Hour, Gap: 15 * time.Minute}},
			{Name: "Temp Worker", Badge: "B5001", Role: words("role.picker"), Temporary: true, Performance: math.NaN(), Utilisation: math.NaN(),
				ReportFigures: ReportFigures{Lines: 12, Units: 14, PickAccuracy: 100, PackAccuracy: math.NaN(), SecondsPerOrder: math.NaN(), Direct: 20 * time.Minute}},
		},
		Hourly: []ReportSeries{
			{Name: "张伟", Points: hourly(70, 7)},
			{Name: "李娜", Points: hourly(60, 11)},
			{Name: "王磊", Points: hourly(40, 5)},
		},
		HourlyMeasure:     words("chart.lines_per_hour"),
		HourlyTarget:      80,
		PerformanceTarget: 100,
		Bands:             ReportBands{Green: 95, Amber: 80},
		Targets: []ReportTarget{
			{Role: words("role.picker"), Measure: words("chart.lines_per_hour"), Value: 80},
			{Role: words("role.packer"), Measure: words("chart.orders_per_hour"), Value: 30},
			{Role: words("role.receiver"), Measure: words("chart.units_per_hour"), Value: 150},
		},
		Gaps: []ReportGap{
			{Person: "王磊", Start: at(14, 5), End: at(14, 45), Reason: ""},
			{Person: "李娜", Start: at(10, 10), End: at(10, 30), Reason: map[string]string{"en": "replenishment", "zh-CN": "等待补货"}[lang]},
			{Person: "杨帆", Start: at(9, 0), End: at(9, 15), Reason: map[string]string{"en": "equipment", "zh-CN": "设备故障"}[lang]},
		},
	}
}

func renderDaily(t testing.TB, r DailyReportData, lang string) []byte {
	t.Helper()
	r.FontPath = testFont(t)
	var b bytes.Buffer
	if err := DailyReport(&b, r, lang); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The report opens in pdftotext and says, in each language, the totals, every person, the
// targets, the gaps with their reasons and the report's own words.
func TestDailyReportText(t *testing.T) {
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{"en", []string{"Daily staff report", "Peak mode", "Wed 11 Nov 2026", "Hangzhou DC1", "Totals", "Lines picked", "12,345", "23,456", "1,789",
			"71.4", "99.6%", "99.8%", "31.5 h", "Ranking", "112%", "too little data", "Temp Worker B5001 *", "temporary staff",
			"Targets by role", "Picker", "Lines per hour", "150", "Unexplained gaps and their reasons (3)", "replenishment", "no reason given yet",
			"14:05", "14:45", "40", "Target 100%", "On standard ≥ 95%", "Direct work", "Page 1/"}},
		{"zh-CN", []string{"员工绩效日报", "大促模式", "2026年11月11日 周三", "杭州一号仓", "合计", "拣货行数", "12,345", "23,456", "1,789",
			"71.4", "99.6%", "31.5 小时", "排名", "112%", "数据不足", "临时工", "岗位目标", "拣货员", "打包员", "每小时行数",
			"未说明空档及原因 (3)", "等待补货", "尚未说明原因", "目标 100%", "达标 ≥ 95%", "直接作业", "页 1/"}},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			pages := pdfPages(t, renderDaily(t, sampleDaily(tc.lang), tc.lang))
			all := strings.Join(pages, "\n")
			for _, w := range tc.want {
				if !strings.Contains(all, w) {
					t.Errorf("no %q in the report:\n%s", w, all)
				}
			}
			for _, name := range []string{"张伟", "李娜", "王磊", "刘洋", "杨帆"} {
				if strings.Count(all, name) < 2 { // in a chart and in the table at least
					t.Errorf("%s appears %d times", name, strings.Count(all, name))
				}
			}
		})
	}
}

// The ranking table lists people best first, those with too little data last.
func TestDailyReportRankingOrder(t *testing.T) {
	all := pdfLayoutText(t, renderDaily(t, sampleDaily("en"), "en"))
	table := all[strings.LastIndex(all, "Ranking"):]
	last := -1
	for _, badge := range []string{"B1001", "B3001", "B2001", "B1002", "B1003", "B5001"} {
		at := strings.Index(table, badge)
		if at < 0 || at < last {
			t.Fatalf("%s out of order in the ranking table:\n%s", badge, table)
		}
		last = at
	}
}

// pdfLayoutText is the document's text as pdftotext -layout reads it: rows of a table stay
// on one line.
func pdfLayoutText(t *testing.T, pdf []byte) string {
	t.Helper()
	bin, err := exec.LookPath("pdftotext")
	if err != nil {
		if inCI() {
			t.Fatal("CI must have pdftotext (apt-get install poppler-utils)")
		}
		t.Skip("pdftotext not installed (apt-get install poppler-utils)")
	}
	file := filepath.Join(t.TempDir(), "report.pdf")
	if err := os.WriteFile(file, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "-layout", "-enc", "UTF-8", file, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// Golden structure: the rows of text of each page, as pdftotext reads them. The bytes depend
// on the font file, the text does not; the same data gives the same bytes.
func TestDailyReportGolden(t *testing.T) {
	for _, lang := range []string{"en", "zh-CN"} {
		t.Run(lang, func(t *testing.T) {
			pdf := renderDaily(t, sampleDaily(lang), lang)
			if again := renderDaily(t, sampleDaily(lang), lang); !bytes.Equal(pdf, again) {
				t.Fatal("the same data gave two different PDFs")
			}
			if bytes.Contains(pdf, []byte("/Subtype /Image")) {
				t.Error("the report holds an image: charts must be vector drawing")
			}
			pages := strings.Split(strings.TrimRight(pdfLayoutText(t, pdf), "\f\n"), "\f")
			if n := len(pageObject.FindAll(pdf, -1)); n != len(pages) {
				t.Errorf("pdftotext found %d pages, the PDF has %d page objects", len(pages), n)
			}
			// Rows as pdftotext -layout reads them, runs of spaces shortened to one: the
			// structure (what is on which page, in which row) without the exact spacing.
			var b strings.Builder
			for i, p := range pages {
				fmt.Fprintf(&b, "=== page %d\n", i+1)
				for _, line := range strings.Split(p, "\n") {
					if f := strings.Fields(line); len(f) > 0 {
						b.WriteString(strings.Join(f, " ") + "\n")
					}
				}
			}
			file := filepath.Join("testdata", "dailyreport_"+lang+".txt")
			if *update {
				if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test ./printing -run TestDailyReportGolden -update to create it)", err)
			}
			if string(want) != b.String() {
				t.Errorf("the report's text differs from %s; if intended run go test ./printing -run TestDailyReportGolden -update\n%s", file, b.String())
			}
		})
	}
}

// A period without figures prints the frame and says there is nothing; a long list of
// people runs over pages with the table's header repeated.
func TestDailyReportEmptyAndLong(t *testing.T) {
	r := sampleDaily("en")
	r.People, r.Hourly, r.Gaps, r.Targets = nil, nil, nil, nil
	r.Totals = ReportFigures{SecondsPerOrder: math.NaN(), PickAccuracy: math.NaN(), PackAccuracy: math.NaN()}
	all := strings.Join(pdfPages(t, renderDaily(t, r, "en")), "\n")
	for _, w := range []string{"No data for this period", "No unexplained gaps.", "Unexplained gaps and their reasons (0)", "—"} {
		if !strings.Contains(all, w) {
			t.Errorf("empty report: no %q in\n%s", w, all)
		}
	}
	if strings.Contains(all, "Targets by role") {
		t.Error("a targets section without targets")
	}

	r = sampleDaily("zh-CN")
	for i := range 120 {
		r.People = append(r.People, ReportPerson{Name: fmt.Sprintf("员工%03d <x&y>", i), Badge: fmt.Sprintf("B7%03d", i), Role: "拣货员",
			Performance: float64(60 + i%70), Utilisation: 80, ReportFigures: ReportFigures{Lines: int64(i), Direct: time.Hour, PickAccuracy: 99, PackAccuracy: math.NaN(), SecondsPerOrder: math.NaN()}})
	}
	pages := pdfPages(t, renderDaily(t, r, "zh-CN"))
	if len(pages) < 4 {
		t.Fatalf("126 people on %d pages", len(pages))
	}
	all = strings.Join(pages, "\n")
	for _, w := range []string{"员工000 <x&y> B7000", "员工119 <x&y> B7119", "另有 96 人（见排名表）"} {
		if !strings.Contains(all, w) {
			t.Errorf("no %q in the long report:\n%s", w, all)
		}
	}
	withHeader := 0
	for _, p := range pages {
		if strings.Contains(p, "利用率") {
			withHeader++
		}
	}
	if withHeader < 2 {
		t.Errorf("the ranking table's header is on %d pages", withHeader)
	}
}

func TestDailyReportRefuses(t *testing.T) {
	r := sampleDaily("en")
	var b bytes.Buffer
	if err := DailyReport(&b, r, "fr"); err == nil || !strings.Contains(err.Error(), "unknown language") || b.Len() > 0 {
		t.Errorf("language fr: %v, %d bytes written", err, b.Len())
	}
	r.FontPath = filepath.Join(t.TempDir(), "none.ttf")
	if err := DailyReport(&b, r, "en"); err == nil || b.Len() > 0 {
		t.Errorf("missing font: %v, %d bytes written", err, b.Len())
	}
}

func TestDailyReportFormats(t *testing.T) {
	for _, tc := range []struct{ got, want string }{
		{integer(-1234567), "-1,234,567"}, {integer(0), "0"}, {decimal(-0.04, 1), "0.0"}, {decimal(1234.56, 1), "1,234.6"},
		{decimal(math.NaN(), 1), "—"}, {pct(99.5, 1), "99.5%"}, {pct(math.Inf(1), 0), "—"}, {decimalTrim(80), "80"}, {decimalTrim(2.5), "2.5"},
		{fmt.Sprint(ticksFor(0, 112, 5)), "[0 25 50 75 100 125]"}, {fmt.Sprint(ticksFor(0, 0.6, 6)), "[0 0.1 0.2 0.3 0.4 0.5 0.6]"},
	} {
		if tc.got != tc.want {
			t.Errorf("got %q, want %q", tc.got, tc.want)
		}
	}
	d := &dailyRenderer{r: DailyReportData{Zone: shanghai}, lang: "en"}
	day := time.Date(2026, 11, 11, 0, 0, 0, 0, shanghai)
	for _, tc := range []struct {
		from, to time.Time
		lang     string
		want     string
	}{
		{day, day.AddDate(0, 0, 1), "en", "Wed 11 Nov 2026"},
		{day, day.AddDate(0, 0, 7), "en", "Wed 11 Nov 2026 - Tue 17 Nov 2026"},
		{day, day.Add(14*time.Hour + 30*time.Minute), "en", "Wed 11 Nov 2026 00:00 - Wed 11 Nov 2026 14:30"},
		{day.UTC(), day.AddDate(0, 0, 1).UTC(), "zh-CN", "2026年11月11日 周三"},
	} {
		d.r.From, d.r.To, d.lang = tc.from, tc.to, tc.lang
		if got := d.period(); got != tc.want {
			t.Errorf("period %v–%v (%s) = %q, want %q", tc.from, tc.to, tc.lang, got, tc.want)
		}
	}
}

func BenchmarkDailyReport(b *testing.B) {
	r := sampleDaily("zh-CN")
	for i := range 40 {
		r.People = append(r.People, ReportPerson{Name: fmt.Sprintf("员工%03d", i), Badge: fmt.Sprintf("B7%03d", i), Role: "拣货员",
			Performance: float64(60 + i%70), Utilisation: 80, ReportFigures: ReportFigures{Lines: int64(i * 10), Direct: 6 * time.Hour, PickAccuracy: 99, PackAccuracy: math.NaN(), SecondsPerOrder: math.NaN()}})
	}
	r.FontPath = testFont(b)
	b.ReportAllocs()
	for b.Loop() {
		var out bytes.Buffer
		if err := DailyReport(&out, r, "zh-CN"); err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(out.Len()))
	}
}

// FuzzDailyReport prints a report with a name, a reason and figures from the fuzzer: it must
// render (or refuse with an error), never panic, whatever the bytes.
func FuzzDailyReport(f *testing.F) {
	f.Add("张伟", "等待补货", 95.5, int64(12345))
	f.Add("\x00\xff\u2028😀", "", math.NaN(), int64(-1))
	f.Add(strings.Repeat("很长的名字", 40), strings.Repeat("x", 500), math.Inf(1), int64(math.MaxInt64))
	font := testFont(f)
	f.Fuzz(func(t *testing.T, name, reason string, perf float64, n int64) {
		r := sampleDaily("en")
		r.FontPath = font
		r.Warehouse = name
		r.People = append(r.People, ReportPerson{Name: name, Badge: reason, Role: name, Performance: perf, Utilisation: perf,
			ReportFigures: ReportFigures{Lines: n, Direct: time.Duration(n), Gap: -time.Duration(n), SecondsPerOrder: perf, PickAccuracy: perf}})
		r.Hourly = append(r.Hourly, ReportSeries{Name: name, Points: []ReportPoint{{X: reason, Y: perf}, {X: name, Y: float64(n)}}})
		r.Gaps = append(r.Gaps, ReportGap{Person: name, Start: r.From, End: r.From.Add(time.Duration(n)), Reason: reason})
		r.Targets = append(r.Targets, ReportTarget{Role: name, Measure: reason, Value: perf})
		r.HourlyTarget, r.PerformanceTarget = perf, perf
		var b bytes.Buffer
		if err := DailyReport(&b, r, "en"); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) {
			t.Fatal("not a PDF")
		}
	})
}
