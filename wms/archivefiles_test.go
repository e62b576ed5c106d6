package wms

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// A promoted standby's first archiving run never writes over the members
// the primary committed: without the primary's file, or with an older copy
// of it, the run is refused and archives nothing; with the file copied in
// it appends after them and the month reads whole.
func TestPromotedStandbyArchivesAfterThePrimarysMembers(t *testing.T) {
	for _, copyFirst := range []bool{false, true} {
		l, clock := openTest(t)
		s, _ := openTest(t)
		s.now = clock.Now
		if err := s.Follow("http://primary:8080"); err != nil {
			t.Fatal(err)
		}
		monthSetup(t, l, 0)
		for d := range 3 {
			monthDay(t, l, clock, d, 2)
		}
		clock.Add(31 * 24 * time.Hour)
		day0 := ordersUpTo(t, l, clock, "D000O00001", time.Minute)
		day1 := ordersUpTo(t, l, clock, "D001O00001", time.Minute)
		day2 := ordersUpTo(t, l, clock, "D002O00001", time.Minute)
		if run, err := l.Archive(ctx, day0, "system", "test"); err != nil || run.Orders != 2 {
			t.Fatalf("%+v %v", run, err)
		}
		const file = "2026-11.orders.jsonl.gz"
		primaryFile := func() []byte {
			b, err := os.ReadFile(filepath.Join(l.ArchiveDir(), file))
			if err != nil {
				t.Fatal(err)
			}
			return b
		}
		put := func(b []byte) {
			if err := os.MkdirAll(s.ArchiveDir(), 0o750); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(s.ArchiveDir(), file), b, 0o640); err != nil {
				t.Fatal(err)
			}
		}
		want := "archive.committed_file_missing"
		if copyFirst { // the operator copied the folder once, before the primary's second run
			put(primaryFile())
			want = "archive.file_short"
		}
		if run, err := l.Archive(ctx, day1, "system", "test"); err != nil || run.Orders != 2 {
			t.Fatalf("%+v %v", run, err)
		}
		replicateAll(t, l, s, 50)
		if _, err := s.Promote(ctx, "B9001", "cli"); err != nil {
			t.Fatal(err)
		}
		before := s.LastSeq()
		if _, err := s.Archive(ctx, day2, "system", "test"); !strings.HasPrefix(errString(err), want) {
			t.Fatalf("copied first %v: the promoted standby's run: %v, want %s", copyFirst, err, want)
		}
		if s.LastSeq() != before {
			t.Fatalf("copied first %v: a refused run appended %d events", copyFirst, s.LastSeq()-before)
		}
		if _, _, err := s.VerifyArchiveFiles(); !strings.HasPrefix(errString(err), want) {
			t.Fatalf("copied first %v: verify: %v, want %s", copyFirst, err, want)
		}
		put(primaryFile())
		if _, _, err := s.VerifyArchiveFiles(); err != nil {
			t.Fatal(err)
		}
		if run, err := s.Archive(ctx, day2, "system", "test"); err != nil || run.Orders != 2 {
			t.Fatalf("copied first %v: the run with the primary's file: %+v %v", copyFirst, run, err)
		}
		var month []string
		if err := s.ArchivedOrders("2026-11", func(a ArchivedOrder) error { month = append(month, a.Order.No); return nil }); err != nil {
			t.Fatal(err)
		}
		slices.Sort(month)
		if got := strings.Join(month, " "); got != "D000O00000 D000O00001 D001O00000 D001O00001 D002O00000 D002O00001" {
			t.Fatalf("copied first %v: the month reads %s", copyFirst, got)
		}
		for _, no := range month {
			if _, err := s.Books(DefaultOwner).ArchivedOrder(no); err != nil {
				t.Fatalf("copied first %v: %s: %v", copyFirst, no, err)
			}
		}
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// A backup restored beside an archive folder that lacks an order month
// file (or holds a shorter one) is refused, naming the file.
func TestRestoreRefusesAMissingOrderFile(t *testing.T) {
	dir := t.TempDir()
	clock := &testClock{t: time.Date(2026, 11, 11, 2, 0, 0, 0, time.UTC)}
	opts := Options{Now: clock.Now, Zone: time.FixedZone("CST", 8*3600)}
	l, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	monthSetup(t, l, 0)
	monthDay(t, l, clock, 0, 2)
	clock.Add(31 * 24 * time.Hour)
	if run, err := l.Archive(ctx, ordersUpTo(t, l, clock, "D000O00001", time.Minute), "system", "test"); err != nil || run.Orders != 2 {
		t.Fatal(run, err)
	}
	if files, members, err := l.VerifyArchiveFiles(); err != nil || files == 0 || members == 0 {
		t.Fatalf("verify: %d files %d members %v", files, members, err)
	}
	bk := backupTo(t, l, "b.db")
	l.Close()
	path := filepath.Join(dir, "archive", "2026-11.orders.jsonl.gz")
	whole, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(dir, bk, opts); err == nil || !strings.Contains(err.Error(), "archive.committed_file_missing") || !strings.Contains(err.Error(), "2026-11.orders.jsonl.gz") {
		t.Fatalf("restore without the orders file: %v", err)
	}
	if err := os.WriteFile(path, whole[:len(whole)/2], 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(dir, bk, opts); err == nil || !strings.Contains(err.Error(), "archive.file_short") {
		t.Fatalf("restore with a cut orders file: %v", err)
	}
	if err := os.WriteFile(path, whole, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := Restore(dir, bk, opts); err != nil {
		t.Fatalf("restore with the file: %v", err)
	}
}

// A damaged archive file is a domain error that names the file and says
// to restore the folder, for one order and for a month's read alike.
func TestDamagedArchiveFileIsNamed(t *testing.T) {
	l, clock := openTest(t)
	monthSetup(t, l, 0)
	monthDay(t, l, clock, 0, 2)
	monthDay(t, l, clock, 1, 2)
	clock.Add(31 * 24 * time.Hour)
	if _, err := l.Archive(ctx, ordersUpTo(t, l, clock, "D001O00001", time.Minute), "system", "test"); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(l.ArchiveDir(), "2026-11.orders.jsonl.gz")
	whole, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int{10, len(whole) / 2, len(whole) - 8} {
		if err := os.WriteFile(file, whole[:cut], 0o640); err != nil {
			t.Fatal(err)
		}
		_, err := l.Books(DefaultOwner).ArchivedOrder("D001O00001") // the last record: past the cut
		if e, ok := AsError(err); !ok || e.Key != "archive.damaged" || e.Args["file"] != "2026-11.orders.jsonl.gz" {
			t.Errorf("cut to %d: one order: %v", cut, err)
		}
		err = l.ArchivedOrders("2026-11", func(ArchivedOrder) error { return nil })
		if e, ok := AsError(err); !ok || e.Key != "archive.damaged" {
			t.Errorf("cut to %d: the month: %v", cut, err)
		}
	}
	// cut at the start of the second member: the member is missing, not damaged
	var parts [][2]int64
	_ = l.view(func(tx *txn) error { parts = archiveMembers(tx, "2026-11.orders.jsonl.gz"); return nil })
	if len(parts) != 1 {
		t.Fatalf("members %v", parts)
	}
	if err := os.WriteFile(file, whole, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Books(DefaultOwner).ArchivedOrder("D001O00001"); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, nil, 0o640); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Books(DefaultOwner).ArchivedOrder("D001O00001"); errKey(err) != "archive.member_missing" {
		t.Errorf("an empty file: %v", err)
	}
	if err := os.WriteFile(file, whole, 0o640); err != nil {
		t.Fatal(err)
	}
}

// ordersUpTo is a retention under which the orders that last changed no
// later than order no (plus slack) leave and everything else stays live.
func ordersUpTo(t *testing.T, l *Ledger, clock *testClock, no string, slack time.Duration) Retention {
	t.Helper()
	o, err := l.Books(DefaultOwner).Order(no)
	if err != nil {
		t.Fatal(err)
	}
	r := eventsOnly(0)
	r.Orders = clock.Now().Sub(o.Updated) - slack
	return r
}
