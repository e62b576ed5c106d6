package wms

import "testing"

// TestErrorEnglish: without the views' wording an error's English is its
// key and arguments; with it, the registered words.
func TestErrorEnglish(t *testing.T) {
	prev := english.Load()
	defer english.Store(prev)
	e := Errf(CodeInvalid, "order.not_found", "no", "SO1")
	english.Store(nil)
	if got := e.English(); got != e.Error() {
		t.Fatalf("unregistered: %q, want %q", got, e.Error())
	}
	SetEnglish(func(key string, args map[string]string) string { return "no order " + args["no"] })
	if got := e.English(); got != "no order SO1" {
		t.Fatalf("registered: %q", got)
	}
}
