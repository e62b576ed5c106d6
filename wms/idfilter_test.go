package wms

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// writeTestIDTable writes a table of n event IDs fmt.Sprintf(format, i)
// (seq i+1) in the given version at path.
func writeTestIDTable(tb testing.TB, path string, n int, format string, version uint32) {
	tb.Helper()
	w, err := createIDTable(path)
	if err != nil {
		tb.Fatal(err)
	}
	w.version = version
	recs := make([]idRecord, n)
	for i := range recs {
		recs[i] = newIDRecord(fmt.Sprintf(format, i), uint64(i+1), true, nil)
	}
	sortRecords(recs)
	for _, r := range recs {
		if err := w.add(r); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := w.finish(); err != nil {
		tb.Fatal(err)
	}
}

// TestIDFilter: a table's filter passes every ID the table holds, and
// passes IDs it does not hold at about the rate idfilter.go states (0.5 %
// for 12 bits an ID, 8 probes; the test allows up to 0.8 %); a table
// without a filter (version 1, written before it) still answers.
func TestIDFilter(t *testing.T) {
	dir := t.TempDir()
	const n, probes = 50_000, 200_000
	for _, v := range []uint32{idVersion, idVersion1} {
		path := filepath.Join(dir, fmt.Sprintf("v%d.ids", v))
		writeTestIDTable(t, path, n, "id-%d", v)
		tab, err := openIDTable(path)
		if err != nil {
			t.Fatal(err)
		}
		if (tab.fpages > 0) != (v == idVersion) {
			t.Fatalf("version %d: %d filter pages", v, tab.fpages)
		}
		for i := range n {
			h := hashID(fmt.Sprint("id-", i))
			if ok, err := tab.mayHold(h); !ok || err != nil {
				t.Fatalf("version %d: the filter misses id-%d: %v", v, i, err)
			}
			if r, ok, err := tab.lookup(h); !ok || err != nil || r.seq() != uint64(i+1) {
				t.Fatalf("version %d: id-%d: %v %v", v, i, ok, err)
			}
		}
		passed := 0
		for i := range probes {
			h := hashID(fmt.Sprint("new-", i))
			ok, err := tab.mayHold(h)
			if err != nil {
				t.Fatal(err)
			}
			if ok {
				passed++
			}
			if _, found, err := tab.lookup(h); found || err != nil {
				t.Fatalf("new-%d found: %v", i, err)
			}
		}
		rate := float64(passed) / probes
		t.Logf("version %d: %d filter pages for %d IDs (%.2f bytes an ID), false positives %.3f %%", v, tab.fpages, n, float64(tab.fpages*idBlockSize)/n, rate*100)
		if v == idVersion && rate > 0.008 {
			t.Fatalf("false positive rate %.4f", rate)
		}
		if v == idVersion1 && rate != 1 {
			t.Fatalf("a table without a filter refused %d IDs", probes-passed)
		}
		tab.close()
	}
}

// TestIDTableStandbyOfAPrimaryWithoutFilter: a standby whose primary
// writes tables without a filter (version 1, the version before it, while
// the standby is upgraded first) builds the same bytes as the primary's.
func TestIDTableStandbyOfAPrimaryWithoutFilter(t *testing.T) {
	primary, clock := openTest(t)
	standby := openStandby(t)
	f := makeIDsFixture(t, primary)
	replicateAll(t, primary, standby, 50)
	clock.Add(11 * 24 * time.Hour)
	r := DefaultRetention()
	r.Events = 0
	idTableVersion = idVersion1
	run, err := primary.Archive(ctx, r, "system", "test")
	idTableVersion = idVersion
	if err != nil || run.IDs == 0 {
		t.Fatalf("%+v %v", run, err)
	}
	replicateAll(t, primary, standby, 50)
	sameState(t, primary, standby)
	pa, _ := newTable(t, primary, idsKind, nil)
	pb, _ := newTable(t, standby, idsKind, nil)
	a, _ := os.ReadFile(pa)
	b, err := os.ReadFile(pb)
	if err != nil || !bytes.Equal(a, b) || binary.BigEndian.Uint32(a[8:12]) != idVersion1 {
		t.Fatalf("the standby's table differs from the primary's version-1 table (%d vs %d bytes): %v", len(a), len(b), err)
	}
	if _, err := standby.Promote(ctx, "B9001", "cli"); err != nil {
		t.Fatal(err)
	}
	checkIDsRepeat(t, standby, f)
}
