package server

import (
	"context"
	"regexp"
	"strconv"
	"testing"

	"tally/wms"
)

// /metrics carries the ledger's group commit figures and the process's CPU
// time (the load generator's CPU per scan).
func TestCommitMetrics(t *testing.T) {
	s, l := testServer(t)
	admin, err := l.CreateToken(context.Background(), "ops", wms.RoleAdmin, "test")
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, s)
	c.bearer = admin
	r, body := c.get("/metrics")
	if r.StatusCode != 200 {
		t.Fatalf("metrics: %d %s", r.StatusCode, body)
	}
	figure := func(name string) float64 {
		t.Helper()
		m := regexp.MustCompile(`(?m)^` + name + ` (\S+)$`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("no %s in /metrics", name)
		}
		v, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return v
	}
	// the demo was seeded through the ledger: commits carried its writes
	commits, grouped := figure("tally_ledger_commits_total"), figure("tally_ledger_grouped_writes_total")
	if commits < 1 || grouped < commits {
		t.Errorf("commits %v carrying %v writes", commits, grouped)
	}
	if figure("tally_ledger_regroups_total") < 0 {
		t.Errorf("negative regroups")
	}
	if figure("process_cpu_seconds_total") <= 0 {
		t.Errorf("no CPU time")
	}
	// bbolt's side of those commits: pages laid out and written, in write
	// calls (a page at least each, and a meta page a commit), over time
	pages, calls, tx := figure("tally_db_pages_written_total"), figure("tally_db_write_calls_total"), figure("tally_db_write_tx_total")
	if tx < commits || pages < tx || calls < 2*tx || figure("tally_db_write_seconds_total") <= 0 || figure("tally_db_spill_seconds_total") <= 0 {
		t.Errorf("%v write transactions for %v commits: %v pages in %v calls", tx, commits, pages, calls)
	}
	// reads are not write transactions (bbolt's TxN counts reads)
	for range 3 {
		if r, _ := c.get("/api/v1/skus"); r.StatusCode != 200 {
			t.Fatalf("skus: %d", r.StatusCode)
		}
	}
	r, body = c.get("/metrics")
	if r.StatusCode != 200 {
		t.Fatalf("metrics: %d", r.StatusCode)
	}
	if again := figure("tally_db_write_tx_total"); again != tx {
		t.Errorf("write transactions %v after three reads, %v before", again, tx)
	}
}
