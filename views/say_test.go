package views

import (
	"bytes"
	"context"
	"testing"
)

// The one rule for codes in messages: no space, ASCII, a digit, short enough
// for a handheld's line; a small bare number is a figure.
func TestIsCode(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want bool
	}{
		{"BLIND-20261111-B3001-1", true},
		{"A01-02-03", true},
		{"RET-01", true},
		{"2028-06-06", true},
		{"SKU00000", true},
		{"A26070", true},
		{"SF1234567890123", true},
		{"06901200000439", true},
		{"270331", true},
		{"-3", true},
		{"24", false},
		{"12345", false},
		{"张伟", false},
		{"飞鹤星飞帆 1段 800g", false},
		{"YTO Express", false},
		{"picker", false},
		{"", false},
		{"3c2a5c70-4444-4a43-9d0c-1f7f3c7b0a11", false}, // an ID too long for a line wraps as text
		{"01069\x1d10LOT", false},
	} {
		if got := IsCode(tc.v); got != tc.want {
			t.Errorf("IsCode(%q) = %v, want %v", tc.v, got, tc.want)
		}
	}
}

// Say marks each code of a message, escapes everything, and reads as
// Translate does; a further line of a file's refusal keeps its line number.
func TestSayMarksCodes(t *testing.T) {
	for _, tc := range []struct {
		lang, key string
		args      map[string]string
		want      string
	}{
		{LangEN, "receive.closed", map[string]string{"receipt": "BLIND-20261111-B3001-1"}, `Receipt <span class="code">BLIND-20261111-B3001-1</span> closed.`},
		{LangZH, "receive.put_away", map[string]string{"qty": "24", "sku": "SKU00002", "location": "A01-02-03"}, `已将 <span class="code">SKU00002</span> 共 24 件上架至 <span class="code">A01-02-03</span>。`},
		{LangEN, "stock.code_kind", map[string]string{"code": "T00042", "kind": "scankind.tote"}, `<span class="code">T00042</span> is a tote code. Scan a location or an item.`},
		{LangEN, "sku.name_invalid", map[string]string{"sku": "<b>1"}, `SKU <span class="code">&lt;b&gt;1</span> needs a name (up to 200 characters).`},
		{LangEN, "no.such.key", nil, "no.such.key"},
	} {
		var b bytes.Buffer
		if err := Say(tc.key, tc.args).Render(WithLang(context.Background(), tc.lang), &b); err != nil {
			t.Fatal(err)
		}
		if b.String() != tc.want {
			t.Errorf("%s %s:\n got %s\nwant %s", tc.lang, tc.key, b.String(), tc.want)
		}
		if got, want := stripTags(b.String()), Translate(tc.lang, tc.key, tc.args); got != want && tc.key != "sku.name_invalid" {
			t.Errorf("%s %s: Say reads %q, Translate %q", tc.lang, tc.key, got, want)
		}
	}
	var b bytes.Buffer
	f := &Feedback{Message: Message{Key: "csv.column_missing", Args: map[string]string{"column": "sku"}},
		Details: []Message{{Key: "location.not_found", Args: map[string]string{"location": "A09-09-09"}, Line: 12}}}
	if err := FeedbackBox(f).Render(WithLang(context.Background(), LangZH), &b); err != nil {
		t.Fatal(err)
	}
	if want := `<li>第 12 行：库位 <span class="code">A09-09-09</span> 不存在。</li>`; !bytes.Contains(b.Bytes(), []byte(want)) {
		t.Errorf("details: %s, want %s", b.String(), want)
	}
}

// stripTags is what the HTML says, without its markup.
func stripTags(s string) string {
	var out bytes.Buffer
	in := false
	for _, r := range s {
		switch {
		case r == '<':
			in = true
		case r == '>':
			in = false
		case !in:
			out.WriteRune(r)
		}
	}
	return out.String()
}
