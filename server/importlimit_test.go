package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"tally/wms"
)

// A refused import names the first wms.MaxReportedRows errors and counts the
// rest, in the reader's language, on the API and on the admin page.
func TestImportReportCapped(t *testing.T) {
	s, l := testServer(t)
	admin, err := l.CreateToken(context.Background(), "oms", wms.RoleAdmin, "test")
	if err != nil {
		t.Fatal(err)
	}
	var csv strings.Builder
	csv.WriteString("sku,location,qty\n")
	for i := range 250 {
		fmt.Fprintf(&csv, "NOPE%d,A01-01-01,1\n", i)
	}
	before := l.LastSeq()
	for _, tc := range []struct{ lang, says string }{
		{"en", "150 more errors are not listed"},
		{"zh-CN", "另有 150 条错误未列出"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			c := newClient(t, s)
			c.bearer, c.lang = admin, tc.lang
			resp, body := c.do("POST", "/api/v1/import/stock", strings.NewReader(csv.String()),
				map[string]string{"Content-Type": "text/csv", "Idempotency-Key": "cap-" + tc.lang})
			var got importRefusal
			if err := json.Unmarshal([]byte(body), &got); err != nil || resp.StatusCode != 400 {
				t.Fatalf("%d %s", resp.StatusCode, body)
			}
			if len(got.Rows) != wms.MaxReportedRows || got.BadRows != 250 || got.Unlisted != 150 || got.Args["count"] != "250" ||
				got.Rows[0].Line != 2 || got.Rows[99].Line != 101 || !strings.Contains(got.Error, tc.says) {
				t.Errorf("report: %d rows listed (%d..), bad %d, unlisted %d, %q", len(got.Rows), got.Rows[0].Line, got.BadRows, got.Unlisted, got.Error)
			}
		})
	}
	if l.LastSeq() != before {
		t.Error("a refused import changed the log")
	}
}
