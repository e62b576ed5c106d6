package wms

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// heapPeak samples the live heap every millisecond while f runs and returns
// how far it rose above where it stood before.
func heapPeak(f func()) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	runtime.GC()
	base := read()
	var peak atomic.Uint64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			if v := read(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	})
	f()
	close(stop)
	wg.Wait()
	if v := read(); v > peak.Load() {
		peak.Store(v)
	}
	if p := peak.Load(); p > base {
		return p - base
	}
	return 0
}

// A staff file of a million bad rows (12 MB, each row two errors: a role
// that does not exist and no PIN for a new badge) is refused with the first
// MaxReportedRows errors and the count of every bad row, and the heap stays
// under 100 MB while it is read (35 MB measured): before the report had a cap, this file took
// a 4.3 GB peak and answered with a 280 MB report.
func TestImportMillionBadRows(t *testing.T) {
	const rows = 1_000_000
	const heapBound = 100 << 20
	var file bytes.Buffer
	file.WriteString("badge,name,role\n")
	for i := range rows {
		fmt.Fprintf(&file, "B%06d,x,y\n", i)
	}
	l, _ := openTest(t)
	before := l.LastSeq()
	raw := file.Bytes()
	var res ImportResult
	var err error
	grew := heapPeak(func() {
		res, err = l.Import(context.Background(), "million-bad", ImportStaff, "staff.csv", raw, "admin", "test")
	})
	t.Logf("file %d MB, heap rose %d MB while importing", len(raw)>>20, grew>>20)
	e, ok := AsError(err)
	if !ok || e.Key != "import.rows_invalid" || e.Args["count"] != strconv.Itoa(rows) {
		t.Fatalf("err = %v %+v, want import.rows_invalid with count %d", err, e, rows)
	}
	if res.BadRows != rows || len(res.Errors) != MaxReportedRows || res.Unlisted != 2*rows-MaxReportedRows {
		t.Fatalf("report: %d bad rows, %d errors named, %d unlisted; want %d, %d and %d", res.BadRows, len(res.Errors), res.Unlisted, rows, MaxReportedRows, 2*rows-MaxReportedRows)
	}
	// row 2 is the first data row; each row has two errors, in line order
	if first, last := res.Errors[0], res.Errors[MaxReportedRows-1]; first.Line != 2 || last.Line != 2+MaxReportedRows/2-1 {
		t.Errorf("report names lines %d..%d, want 2..%d", first.Line, last.Line, 2+MaxReportedRows/2-1)
	}
	if js, _ := json.Marshal(res); len(js) > 64<<10 {
		t.Errorf("report is %d bytes of JSON", len(js))
	}
	if grew > heapBound {
		t.Errorf("heap rose %d MB while importing a %d MB file, bound %d MB", grew>>20, len(raw)>>20, heapBound>>20)
	}
	if l.LastSeq() != before {
		t.Error("a refused file changed the log")
	}
}

// The collector counts each bad row once however many errors it has, and
// names only the first MaxReportedRows errors.
func TestRowErrorsCap(t *testing.T) {
	var b rowErrors
	for line := 2; line < 502; line++ {
		b.add(RowError{Line: line, Key: "a"}, RowError{Line: line, Key: "b"})
	}
	if b.rows != 500 || len(b.first) != MaxReportedRows || b.first[MaxReportedRows-1].Line != 51 || b.unlisted != 900 {
		t.Fatalf("rows %d, named %d, last named line %d", b.rows, len(b.first), b.first[len(b.first)-1].Line)
	}
}
