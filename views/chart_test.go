package views

import (
	"bytes"
	"context"
	"encoding/xml"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/a-h/templ"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/")

func hoursOfDay(from, to int, f func(h int) float64) []ChartPoint {
	var ps []ChartPoint
	for h := from; h < to; h++ {
		ps = append(ps, ChartPoint{X: fmt.Sprintf("%02d:00", h), Y: f(h)})
	}
	return ps
}

// chartCases are the charts the golden files hold, each drawn in both languages.
var chartCases = []struct {
	name string
	draw func(lang string) string
}{
	{"ranking", func(lang string) string {
		return RankingSVG(lang, ChartSeries{Name: "performance", Points: []ChartPoint{
			{"李娜", 88.4}, {"张伟", 112.25}, {"王磊", 71}, {"Wang Lei-Long-Name-From-Import", 95}, {"刘洋", math.NaN()},
			{"<b>&\"赵敏'</b>", 99.5}, {"陈静", -3},
		}}, DefaultBands, 100)
	}},
	{"ranking_wide", func(lang string) string {
		return RankingSVG(lang, ChartSeries{Points: []ChartPoint{{"张伟", 240}, {"李娜", 0}}}, Bands{Green: 110, Amber: 90}, 0)
	}},
	{"hourly", func(lang string) string {
		return HourlySVG(lang, []ChartSeries{
			{Name: "张伟", Points: hoursOfDay(8, 18, func(h int) float64 { return float64(60 + (h*37)%41) })},
			{Name: "李娜", Points: hoursOfDay(8, 18, func(h int) float64 {
				if h == 12 {
					return math.NaN() // lunch: no figure, the line breaks
				}
				return float64(70 + (h*13)%29)
			})},
			{Name: "Temp <worker>", Points: hoursOfDay(10, 18, func(h int) float64 { return float64(30 + h) })},
		}, "chart.lines_per_hour", 80)
	}},
	{"hourly_one", func(lang string) string {
		return HourlySVG(lang, []ChartSeries{{Name: "拣货", Points: hoursOfDay(0, 24, func(h int) float64 { return float64((h * 17) % 23) })}}, "chart.units_per_hour", 0)
	}},
	{"split", func(lang string) string {
		return TimeSplitSVG(lang,
			ChartSeries{Points: []ChartPoint{{"张伟", 6.5 * 3600}, {"李娜", 5 * 3600}, {"A very long English name indeed", 2 * 3600}}},
			ChartSeries{Points: []ChartPoint{{"张伟", 1800}, {"李娜", 3600}, {"A very long English name indeed", math.Inf(1)}}},
			ChartSeries{Points: []ChartPoint{{"张伟", 900}, {"李娜", -60}, {"王磊", 1200}}})
	}},
	{"empty", func(lang string) string { return RankingSVG(lang, ChartSeries{}, DefaultBands, 100) }},
}

func TestChartGolden(t *testing.T) {
	for _, tc := range chartCases {
		for _, lang := range []string{LangZH, LangEN} {
			t.Run(tc.name+"_"+lang, func(t *testing.T) {
				got := tc.draw(lang)
				checkSVG(t, got)
				if again := tc.draw(lang); again != got {
					t.Fatal("the same data drew two different charts")
				}
				file := filepath.Join("testdata", "chart_"+tc.name+"_"+lang+".svg")
				if *updateGolden {
					if err := os.MkdirAll("testdata", 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(file)
				if err != nil {
					t.Fatalf("%v (run go test ./views -run TestChartGolden -update to create it)", err)
				}
				if string(want) != got {
					t.Errorf("%s differs from the chart drawn now; if the change is intended run go test ./views -run TestChartGolden -update\n got: %.300s", file, got)
				}
			})
		}
	}
}

var badNumber = regexp.MustCompile(`(?i)nan|[+-]?inf\b|e\+\d`)

// checkSVG fails unless s is one well-formed, accessible svg element whose attributes hold no
// impossible numbers.
func checkSVG(t *testing.T, s string) {
	t.Helper()
	if !strings.HasPrefix(s, "<svg ") || !strings.HasSuffix(s, "</svg>") {
		t.Fatalf("not one svg element: %.80s", s)
	}
	dec := xml.NewDecoder(strings.NewReader(s))
	var titleID, descID, labelled string
	depth := 0
	var inTitle bool
	var title string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, s)
		}
		switch e := tok.(type) {
		case xml.StartElement:
			depth++
			for _, a := range e.Attr {
				if a.Name.Local == "aria-labelledby" {
					labelled = a.Value
				}
				if a.Name.Local == "id" && e.Name.Local == "title" {
					titleID = a.Value
				}
				if a.Name.Local == "id" && e.Name.Local == "desc" {
					descID = a.Value
				}
				if a.Name.Local != "aria-labelledby" && a.Name.Local != "id" && a.Name.Local != "lang" && badNumber.MatchString(a.Value) {
					t.Errorf("<%s %s=%q>: not a number", e.Name.Local, a.Name.Local, a.Value)
				}
			}
			if depth == 1 {
				role := ""
				for _, a := range e.Attr {
					if a.Name.Local == "role" {
						role = a.Value
					}
				}
				if role != "img" {
					t.Errorf("the svg's role is %q, want img", role)
				}
			}
			inTitle = e.Name.Local == "title"
		case xml.CharData:
			if inTitle {
				title += string(e)
			}
		case xml.EndElement:
			depth--
			inTitle = false
		}
	}
	if titleID == "" || descID == "" || labelled != titleID+" "+descID {
		t.Errorf("aria-labelledby %q does not name the title %q and description %q", labelled, titleID, descID)
	}
	if strings.TrimSpace(title) == "" {
		t.Error("the chart has no title")
	}
}

func TestChartWords(t *testing.T) {
	perf := ChartSeries{Points: []ChartPoint{{"张伟", 112.25}, {"李娜", math.NaN()}, {"王磊", 1234.6}}}
	for _, tc := range []struct {
		lang string
		want []string
	}{
		{LangEN, []string{"Ranking by performance", "too little data", "Target 100%", "112%", "1,235%", "On standard (≥ 95%)", "Below (80%–95%)", "Well below (&lt; 80%)", "Performance (% of standard)"}},
		{LangZH, []string{"绩效排名", "数据不足", "目标 100%", "112%", "1,235%", "达标（≥ 95%）", "偏低（80%–95%）", "明显偏低（&lt; 80%）"}},
	} {
		got := RankingSVG(tc.lang, perf, DefaultBands, 100)
		for _, w := range tc.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: no %q in %s", tc.lang, w, got)
			}
		}
	}
	en := HourlySVG(LangEN, nil, "chart.lines_per_hour", 80)
	zh := TimeSplitSVG(LangZH, ChartSeries{}, ChartSeries{}, ChartSeries{})
	if !strings.Contains(en, "No data for this period") || !strings.Contains(zh, "此期间暂无数据") {
		t.Errorf("empty charts do not say so:\n%s\n%s", en, zh)
	}
	split := TimeSplitSVG(LangEN, ChartSeries{Points: []ChartPoint{{"A", 5400}}}, ChartSeries{Points: []ChartPoint{{"A", 1800}}}, ChartSeries{Points: []ChartPoint{{"A", 1080}}})
	for _, w := range []string{"A: Direct work 1.5 h, Indirect work 0.5 h, Unexplained gaps 0.3 h", ">2.3 h<", "Time (hours)"} {
		if !strings.Contains(split, w) {
			t.Errorf("time split: no %q in %s", w, split)
		}
	}
}

// The ranking puts the best first, people without a figure last, and colours each bar by
// its band; the bar's length is proportional to the value.
func TestRankingOrderAndBands(t *testing.T) {
	got := RankingSVG(LangEN, ChartSeries{Points: []ChartPoint{
		{"low", 50}, {"none", math.NaN()}, {"top", 100}, {"mid", 90}, {"neg", -10},
	}}, DefaultBands, 0)
	order := []string{">top<", ">mid<", ">low<", ">neg<", ">none<"}
	last := -1
	for _, name := range order {
		at := strings.Index(got, name)
		if at < last {
			t.Fatalf("%s is out of order in %s", name, got)
		}
		last = at
	}
	bars := regexp.MustCompile(`<rect x="98" y="[0-9.]+" width="([0-9.]+)" height="16" fill="(#[0-9a-f]+)"/>`).FindAllStringSubmatch(got, -1)
	want := []struct{ width, colour string }{{"200", bandColour["green"]}, {"180", bandColour["amber"]}, {"100", bandColour["red"]}}
	if len(bars) != len(want) {
		t.Fatalf("%d bars, want %d (none for a negative value or no figure): %s", len(bars), len(want), got)
	}
	for i, w := range want {
		if bars[i][1] != w.width || bars[i][2] != w.colour {
			t.Errorf("bar %d: width %s colour %s, want %s %s", i, bars[i][1], bars[i][2], w.width, w.colour)
		}
	}
	if strings.Contains(got, "stroke-dasharray") {
		t.Error("a target line was drawn without a target")
	}
}

func TestBands(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		want string
	}{{95, "green"}, {94.99, "amber"}, {80, "amber"}, {79.9, "red"}, {-1, "red"}, {math.NaN(), ""}, {math.Inf(1), ""}, {1e9, "green"}} {
		if got := DefaultBands.Band(tc.v); got != tc.want {
			t.Errorf("Band(%v) = %q, want %q", tc.v, got, tc.want)
		}
	}
}

func TestNumberAndClip(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		dec  int
		want string
	}{{0, 0, "0"}, {-0.2, 0, "0"}, {-0.6, 0, "-1"}, {1234567.25, 1, "1,234,567.2"}, {999, 0, "999"}, {1000, 0, "1,000"},
		{-12345.678, 2, "-12,345.68"}, {math.NaN(), 1, "—"}, {math.Inf(-1), 0, "—"}, {2e15, 0, "2e+15"}} {
		if got := number(tc.v, tc.dec); got != tc.want {
			t.Errorf("number(%v, %d) = %q, want %q", tc.v, tc.dec, got, tc.want)
		}
	}
	if got := FormatNumber(LangZH, 1234.5, 1); got != "1,234.5" {
		t.Errorf("FormatNumber zh: %q", got)
	}
	for _, tc := range []struct{ in, want string }{
		{"张伟", "张伟"},
		{"欧阳娜娜娜娜娜娜娜", "欧阳娜娜娜娜…"},
		{"Wang Lei-Long-Name", "Wang Lei-L…"},
		{"a\x00b\tc\n\nd\xff", "a b c d?"},
		{"  lead", "lead"},
	} {
		if got := clip(cleanLabel(tc.in), maxNameEm); got != tc.want {
			t.Errorf("clip(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestNiceTicks(t *testing.T) {
	for _, tc := range []struct {
		lo, hi float64
		want   string
	}{
		{0, 100, "[0 20 40 60 80 100]"},
		{0, 112, "[0 20 40 60 80 100 120]"},
		{0, 260, "[0 50 100 150 200 250 300]"},
		{0, 0.07, "[0 0.02 0.04 0.06 0.08]"},
		{0, 1, "[0 0.2 0.4 0.6 0.8 1]"},
		{-5, 30, "[-10 0 10 20 30]"},
		{0, 0, "[0 0.2 0.4 0.6 0.8 1]"},
		{math.NaN(), math.Inf(1), "[0 0.2 0.4 0.6 0.8 1]"},
	} {
		if got := fmt.Sprint(niceTicks(tc.lo, tc.hi)); got != tc.want {
			t.Errorf("niceTicks(%v, %v) = %s, want %s", tc.lo, tc.hi, got, tc.want)
		}
	}
	// Values beyond what a chart can show give ticks that are numbers and cover ±1e300.
	for _, lo := range []float64{0, -math.MaxFloat64} {
		ticks := niceTicks(lo, math.MaxFloat64)
		for i, v := range ticks {
			if !finite(v) || (i > 0 && v <= ticks[i-1]) {
				t.Fatalf("niceTicks(%v, max) = %v", lo, ticks)
			}
		}
		if ticks[0] > plotClamp(lo) || ticks[len(ticks)-1] < 1e300 || len(ticks) > 8 {
			t.Errorf("niceTicks(%v, max) = %v", lo, ticks)
		}
	}
}

// The components render what the string functions draw, in the context's language.
func TestChartComponents(t *testing.T) {
	s := ChartSeries{Points: []ChartPoint{{"张伟", 90}}}
	for _, tc := range []struct {
		c    templ.Component
		want func(string) string
	}{
		{RankingChart(s, DefaultBands, 100), func(l string) string { return RankingSVG(l, s, DefaultBands, 100) }},
		{HourlyChart([]ChartSeries{s}, "chart.lines_per_hour", 80), func(l string) string { return HourlySVG(l, []ChartSeries{s}, "chart.lines_per_hour", 80) }},
		{TimeSplitChart(s, s, s), func(l string) string { return TimeSplitSVG(l, s, s, s) }},
	} {
		for _, lang := range []string{LangZH, LangEN} {
			var b bytes.Buffer
			if err := tc.c.Render(WithLang(context.Background(), lang), &b); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want(lang) {
				t.Errorf("%s: the component differs from the string", lang)
			}
		}
	}
	en := RankingSVG(LangEN, s, DefaultBands, 100)
	if en == RankingSVG(LangZH, s, DefaultBands, 100) {
		t.Error("the two languages drew the same chart")
	}
}

func TestReportLabels(t *testing.T) {
	got := ReportLabels(LangEN, "daily.", []string{"title", "lines"})
	if got["title"] != "Daily staff report" || got["lines"] != "Lines picked" {
		t.Errorf("ReportLabels: %v", got)
	}
	if zh := ReportLabels(LangZH, "daily.", []string{"title"}); zh["title"] != "员工绩效日报" {
		t.Errorf("ReportLabels zh: %v", zh)
	}
}

// FuzzChartLabels draws every chart with names and values from the fuzzer: the result must
// be well-formed XML with the name's text escaped, whatever the bytes.
func FuzzChartLabels(f *testing.F) {
	f.Add("张伟", "08:00", 95.5, 3600.0)
	f.Add("<script>alert(1)</script>", "]]>", math.NaN(), -1.0)
	f.Add("a&b\"c'd", "\x00\xff", math.Inf(1), math.MaxFloat64)
	f.Add("", "", -math.MaxFloat64, 1e-300)
	f.Add("x", "y", -math.MaxFloat64, math.MaxFloat64)
	f.Fuzz(func(t *testing.T, name, x string, y, secs float64) {
		charts := []string{
			RankingSVG(LangEN, ChartSeries{Points: []ChartPoint{{name, y}, {x, secs}}}, DefaultBands, y),
			HourlySVG(LangZH, []ChartSeries{{Name: name, Points: []ChartPoint{{x, y}, {name, secs}}}, {Name: x, Points: []ChartPoint{{x, secs}}}}, "chart.lines_per_hour", secs),
			TimeSplitSVG(LangEN, ChartSeries{Points: []ChartPoint{{name, secs}}}, ChartSeries{Points: []ChartPoint{{x, y}}}, ChartSeries{Points: []ChartPoint{{name, y}}}),
		}
		for _, c := range charts {
			checkSVG(t, c)
			// the XML parse above is the guard for any "<"; a whole tag
			// the name carries must not reach the chart as markup
			if strings.Contains(name, "<script") && strings.Contains(c, name) {
				t.Fatalf("name %q is not escaped", name)
			}
		}
	})
}

// Every catalogue key the charts use has its words; the band words are made from the band's
// name.
func TestChartKeysTranslated(t *testing.T) {
	src, err := os.ReadFile("chart.go")
	if err != nil {
		t.Fatal(err)
	}
	keys := regexp.MustCompile(`"(chart\.[a-z_]*[a-z])"`).FindAllStringSubmatch(string(src), -1)
	if len(keys) < 15 {
		t.Fatalf("found only %d keys in chart.go: the pattern no longer matches", len(keys))
	}
	for _, k := range keys {
		if !HasKey(k[1]) {
			t.Errorf("chart.go uses %q, which has no translation", k[1])
		}
	}
	for _, band := range []string{"green", "amber", "red"} {
		if !HasKey("chart.band_" + band + "_word") {
			t.Errorf("band %s has no word", band)
		}
	}
}

// A chart of more people than MaxChartRows draws the first ones and says how many more.
func TestChartRowsCapped(t *testing.T) {
	var ps []ChartPoint
	for i := range MaxChartRows + 15 {
		ps = append(ps, ChartPoint{X: fmt.Sprintf("P%03d", i), Y: float64(200 - i)})
	}
	for _, c := range []string{
		RankingSVG(LangEN, ChartSeries{Points: ps}, DefaultBands, 100),
		TimeSplitSVG(LangEN, ChartSeries{Points: ps}, ChartSeries{}, ChartSeries{}),
	} {
		checkSVG(t, c)
		last := fmt.Sprintf(">P%03d<", MaxChartRows-1)
		if !strings.Contains(c, last) || strings.Contains(c, fmt.Sprintf(">P%03d<", MaxChartRows)) || !strings.Contains(c, ">and 15 more<") {
			t.Errorf("capped chart: %.400s", c)
		}
	}
	if zh := RankingSVG(LangZH, ChartSeries{Points: ps}, DefaultBands, 100); !strings.Contains(zh, ">另有 15 人<") {
		t.Error("zh: no count of the people left out")
	}
}
