package wms

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// archivedMonth is every order ArchivedOrders reads for a month, and
// each one as ArchivedOrder finds it by its member's offset.
func archivedMonth(t *testing.T, l *Ledger, month string) []ArchivedOrder {
	t.Helper()
	var got []ArchivedOrder
	if err := l.ArchivedOrders(month, func(a ArchivedOrder) error { got = append(got, a); return nil }); err != nil {
		t.Fatalf("the month's orders: %v", err)
	}
	for _, a := range got {
		one, err := l.Books(OwnerOr(a.Order.Owner)).ArchivedOrder(a.Order.No)
		if err != nil {
			t.Fatalf("%s: %v", a.Order.No, err)
		}
		one.Archived = nil // where it is: the month's read does not say
		if !reflect.DeepEqual(one, a) {
			t.Fatalf("%s: by its offset it differs from the month's read", a.Order.No)
		}
	}
	return got
}

// ordersUpTo is a retention that archives the orders last changed before
// order no's last change plus d.
func ordersUpTo(t *testing.T, l *Ledger, clock *testClock, no string, d time.Duration) Retention {
	t.Helper()
	o, err := l.Order(no)
	if err != nil {
		t.Fatal(err)
	}
	r := DefaultRetention()
	r.IDs, r.Events = 0, 0
	r.Orders = clock.Now().Sub(o.Updated.Add(d))
	return r
}

// TestOrderArchiveAfterRestoringAnOlderBackup: order archive files are
// only appended to, so a run on a restored older backup leaves the
// members a newer backup names where they are, and each store reads only
// its own members.
func TestOrderArchiveAfterRestoringAnOlderBackup(t *testing.T) {
	dir := t.TempDir()
	clock := &testClock{t: time.Date(2026, 11, 11, 2, 0, 0, 0, time.UTC)}
	open := func() *Ledger {
		l, err := Open(dir, Options{Now: clock.Now, Zone: time.FixedZone("CST", 8*3600)})
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	archive := func(l *Ledger, r Retention, want int) {
		t.Helper()
		if run, err := l.Archive(ctx, r, "system", "test"); err != nil || run.Orders != want {
			t.Fatalf("archived %d orders, want %d: %v", run.Orders, want, err)
		}
	}
	l := open()
	monthSetup(t, l, 0)
	monthDay(t, l, clock, 0, 2)
	monthDay(t, l, clock, 1, 2)
	clock.Add(31 * 24 * time.Hour)
	day0, day1 := ordersUpTo(t, l, clock, "D000O00001", time.Minute), ordersUpTo(t, l, clock, "D001O00001", time.Minute)
	firstOfDay1 := ordersUpTo(t, l, clock, "D001O00000", time.Second)
	archive(l, day0, 2)
	older := backupTo(t, l, "older.db")
	archive(l, day1, 2)
	newer := backupTo(t, l, "newer.db")
	want := archivedMonth(t, l, "2026-11")
	if len(want) != 4 {
		t.Fatalf("the newer store reads %d orders", len(want))
	}
	file := filepath.Join(l.ArchiveDir(), "2026-11.orders.jsonl.gz")
	newerBytes, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	// back to the older backup; its run archives other orders (one of
	// day 1's) than the newer store's second run did
	if _, err := Restore(dir, older, Options{}); err != nil {
		t.Fatal(err)
	}
	l = open()
	archive(l, firstOfDay1, 1)
	got := archivedMonth(t, l, "2026-11")
	if len(got) != 3 || got[2].Order.No != "D001O00000" {
		t.Fatalf("the older store, archived again, reads %d orders", len(got))
	}
	after, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(after, newerBytes) || len(after) == len(newerBytes) {
		t.Fatalf("the file was cut back or not added to: %d bytes, %d before", len(after), len(newerBytes))
	}
	if mm, err := l.Check(dir); err != nil || len(mm) > 0 {
		t.Fatalf("check of the older store archived again: %v %v", mm, err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	// the newer backup reads every order it archived
	kept, _ := filepath.Glob(filepath.Join(dir, "tally.db.before-restore-*"))
	for _, f := range kept {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := Restore(dir, newer, Options{}); err != nil {
		t.Fatalf("restoring the newer backup: %v", err)
	}
	l = open()
	defer l.Close()
	if got := archivedMonth(t, l, "2026-11"); !reflect.DeepEqual(got, want) {
		t.Fatalf("the newer backup reads %d orders, not the %d it archived as they were", len(got), len(want))
	}
}

// TestOrderArchiveFromBeforeMembers: a file a store wrote before it
// listed members (archive_end alone) is read whole up to it, and the
// next run lists it as one part before its own member.
func TestOrderArchiveFromBeforeMembers(t *testing.T) {
	l, clock := openTest(t)
	monthSetup(t, l, 0)
	monthDay(t, l, clock, 0, 2)
	monthDay(t, l, clock, 1, 2)
	clock.Add(31 * 24 * time.Hour)
	if _, err := l.Archive(ctx, ordersUpTo(t, l, clock, "D000O00001", time.Minute), "system", "test"); err != nil {
		t.Fatal(err)
	}
	const file = "2026-11.orders.jsonl.gz"
	// as a store before members were listed had it
	if err := l.write(func(tx *txn) error {
		for _, p := range archiveMembers(tx, file) {
			if err := tx.Bucket(bucketMeta).Delete(archiveMemberKey(file, p[0])); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got := archivedMonth(t, l, "2026-11"); len(got) != 2 {
		t.Fatalf("the file from before members: %d orders", len(got))
	}
	if _, err := l.Archive(ctx, ordersUpTo(t, l, clock, "D001O00001", time.Minute), "system", "test"); err != nil {
		t.Fatal(err)
	}
	var parts [][2]int64
	_ = l.view(func(tx *txn) error { parts = archiveMembers(tx, file); return nil })
	if len(parts) != 2 || parts[0][0] != 0 || parts[1][0] != parts[0][1] {
		t.Fatalf("parts %v", parts)
	}
	if got := archivedMonth(t, l, "2026-11"); len(got) != 4 {
		t.Fatalf("after the next run: %d orders", len(got))
	}
}
