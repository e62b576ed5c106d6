package views

import (
	"testing"

	"tally/wms"
)

// TestDomainErrorEnglish: a domain error's English (what the standby and
// the commands print) is this catalogue's message, not its key.
func TestDomainErrorEnglish(t *testing.T) {
	e := wms.Errf(wms.CodeConflict, "ids.digest_differs", "file", "2026-11.ids", "seq", "42", "name", "2026-11.abababababababab.ids")
	got, want := e.English(), Translate(LangEN, e.Key, e.Args)
	if got != want || got == e.Error() {
		t.Fatalf("English() = %q, want the catalogue's %q", got, want)
	}
}
