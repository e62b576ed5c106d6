package views

import (
	"strings"
	"testing"

	"tally/wms"
)

// A refused text names its field in the reader's words, never as a key.
func TestTextFieldsAreTranslated(t *testing.T) {
	for _, f := range wms.TextFields {
		for _, lang := range []string{LangEN, LangZH} {
			got := Translate(lang, "text.too_long", map[string]string{"field": f, "max": "200"})
			if strings.Contains(got, "field.") || !HasKey(f) {
				t.Errorf("%s %s: %q", lang, f, got)
			}
		}
	}
	if got := Translate(LangZH, "text.too_long", map[string]string{"field": wms.FieldReason, "max": "1000"}); got != "原因超过 1000 个字符，请缩短。" {
		t.Errorf("zh: %q", got)
	}
}
