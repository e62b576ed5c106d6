package wms

import (
	"path/filepath"
	"testing"
	"time"
)

// OrderTableForTest is a store in dir (its clock the tests' own) with a
// month of shipped and archived orders, and the archiving that moves their
// keys to one order table, which says the table's path (for the HTTP-level
// tests in package wms_test).
func OrderTableForTest(t *testing.T, dir string) (*Ledger, func() string) {
	t.Helper()
	l, clock := openTestIn(t, dir)
	ordersArchivedMonth(t, l, clock)
	return l, func() string { return tableOfKeysRun(t, l) }
}

func tableOfKeysRun(t *testing.T, l *Ledger) string {
	t.Helper()
	run, err := l.Archive(ctx, keysOnly(10*24*time.Hour), "system", "test")
	if err != nil || run.OrderKeys == 0 {
		t.Fatalf("moved %d order keys: %v", run.OrderKeys, err)
	}
	tables, _ := filepath.Glob(filepath.Join(l.ArchiveDir(), "*.ords"))
	if len(tables) != 1 {
		t.Fatalf("order tables: %v", tables)
	}
	return tables[0]
}
