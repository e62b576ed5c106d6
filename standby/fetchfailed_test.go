package standby

import (
	"errors"
	"strings"
	"testing"

	"tally/wms"
)

// TestFetchFailedSaysBoth: when fetching the primary's table fails, the
// operator reads why the standby needs it (the digest_differs words, with
// copying it by hand as the remedy) and why the fetch failed, worded by the
// file's kind; both errors stay reachable.
func TestFetchFailedSaysBoth(t *testing.T) {
	for _, c := range []struct{ name, key, what string }{
		{"2026-11.abababababababab.lots", "lots.digest_differs", "lot index"},
		{"2026-11.abababababababab.ids", "ids.digest_differs", "ID table"},
	} {
		need := wms.Errf(wms.CodeConflict, c.key, "file", c.name[:7]+c.name[24:], "seq", "42", "name", c.name)
		cause := errors.New("the primary did not answer: connection refused")
		var err error = &fetchFailed{after: 41, what: wms.TableKindOf(c.name), name: c.name, need: need, err: cause}
		msg := err.Error()
		for _, want := range []string{"copy " + c.name + " from the primary's DATA/archive/", "Fetching the primary's " + c.what + " " + c.name + " failed", "connection refused", "after 41"} {
			if !strings.Contains(msg, want) {
				t.Fatalf("%s: %q lacks %q", c.name, msg, want)
			}
		}
		if e, ok := wms.AsError(err); !ok || e.Key != c.key || !errors.Is(err, cause) {
			t.Fatalf("%s: the errors are not both wrapped: %v", c.name, err)
		}
	}
}
