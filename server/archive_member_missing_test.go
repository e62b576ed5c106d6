package server

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"tally/wms"
)

// An archived order whose member the folder lacks (an older copy of the
// primary's file) names the file on the API and the page instead of
// saying the order is not known.
func TestArchivedOrderWithItsMemberMissingNamesTheFile(t *testing.T) {
	s, l, dir, advance := clockedDemoServer(t)
	ctx := context.Background()
	shipOneOrder(t, l, "SO880001")
	advance(48 * 24 * time.Hour)
	if _, err := l.Archive(ctx, wms.DefaultRetention(), "t", "t"); err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "archive", "*.orders.jsonl.gz"))
	if len(files) == 0 {
		t.Fatal("no order archive")
	}
	for _, f := range files {
		if err := os.WriteFile(f, nil, 0o640); err != nil { // an older copy: ends before the member
			t.Fatal(err)
		}
	}
	_, err := l.Books(wms.DefaultOwner).ArchivedOrder("SO880001")
	t.Logf("ledger: %v", err)
	c := newClient(t, s)
	c.login("B4001", "4444")
	resp, body := c.get("/api/v1/orders/SO880001")
	t.Logf("API: %d %s", resp.StatusCode, body)
	if !strings.Contains(body, "member_missing") && !strings.Contains(body, "ends before") {
		t.Errorf("GET /api/v1/orders/SO880001 with its member missing: %d %s", resp.StatusCode, body)
	}
	resp, body = c.get("/orders?no=SO880001")
	if !strings.Contains(body, "ends before") {
		i := strings.Index(body, "SO880001")
		t.Errorf("order page: %d %s", resp.StatusCode, body[max(0, i-300):min(len(body), i+300)])
	}
}
