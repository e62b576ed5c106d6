package wms

import (
	bolt "go.etcd.io/bbolt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestClosedReceiptsLeave: a receipt closed more than --keep-orders ago
// leaves for the month's receipts file and is still read where receipts
// are read (Receipt, ReceiptOwners, the keyed and unkeyed resend's answer);
// an open one stays; a resend of the same announcement is a duplicate, a
// changed one refused; a receiving, a refusal or a new announcement of its
// number is refused; a blind receipt's next number counts the archived
// ones; a rebuild gives the same projections (and openTest's cleanup
// checks).
func TestClosedReceiptsLeave(t *testing.T) {
	l := receiveFixture(t)
	clock := &testClock{t: l.Now()}
	l.now = clock.Now
	near, _ := openTest(t) // a standby, following from the start
	if err := near.Follow("http://primary:8080"); err != nil {
		t.Fatal(err)
	}
	archive := func() (ArchiveRun, error) {
		replicateAll(t, l, near, 50)
		return l.Archive(ctx, DefaultRetention(), "system", "test")
	}
	in := ReceiptIn{ID: "ASN1", Supplier: "飞鹤乳业", Lines: []LineIn{{"MILK", 10}, {"NUTS", 5}}}
	if _, _, err := l.ExpectReceipt(ctx, "asn-key", in, "B3001", "pda"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.ExpectReceipt(ctx, "", ReceiptIn{ID: "ASN2", Supplier: "飞鹤乳业", Lines: []LineIn{{"MILK", 4}}}, "B3001", "pda"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Receive(ctx, "r1", Receiving{Receipt: "ASN1", SKU: "MILK", Lot: "FRESH", Expiry: "2028-10-01", Qty: 12, Location: "DOCK-01"}, "B3001", "pda"); err != nil {
		t.Fatal(err)
	}
	blind, err := l.NextBlindReceipt("2026-11-11", "B3001")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.Receive(ctx, "r-blind", Receiving{Receipt: blind, SKU: "MILK", Lot: "FRESH", Expiry: "2028-10-01", Qty: 2, Location: "DOCK-01"}, "B3001", "pda"); err != nil {
		t.Fatal(err)
	}
	closed, err := l.CloseReceipt(ctx, "ASN1", "B3001", "pda")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.CloseReceipt(ctx, blind, "B3001", "pda"); err != nil {
		t.Fatal(err)
	}
	clock.Add(29 * 24 * time.Hour)
	if run, err := archive(); err != nil || run.Receipts != 0 {
		t.Fatalf("within the retention: moved %d, %v", run.Receipts, err)
	}
	clock.Add(2 * 24 * time.Hour)
	run, err := archive()
	if err != nil || run.Receipts != 2 {
		t.Fatalf("past the retention: moved %d, %v", run.Receipts, err)
	}
	if got := liveKeys(t, l, bucketReceipts); !reflect.DeepEqual(got, []string{string(receiptKey(DefaultOwner, "ASN2"))}) {
		t.Fatalf("live receipts %q: want the open one alone", got)
	}
	if got, err := l.Receipt("ASN1"); err != nil || !reflect.DeepEqual(got, closed) {
		t.Fatalf("the archived receipt: %+v %v, want %+v", got, err, closed)
	}
	if _, err := l.Receipt("ASN9"); ErrorCode(err) != CodeNotFound {
		t.Fatalf("an unknown receipt: %v", err)
	}
	if owners, err := l.ReceiptOwners("ASN1"); err != nil || !slices.Equal(owners, []string{DefaultOwner}) {
		t.Fatalf("owners of the archived receipt: %v %v", owners, err)
	}
	var month []Receipt
	if err := l.ArchivedReceipts(closed.Closed.In(l.zone).Format("2006-01"), func(r Receipt) error {
		month = append(month, r)
		return nil
	}); err != nil || len(month) != 2 {
		t.Fatalf("the month's receipts: %+v %v", month, err)
	}
	// a resend: keyed and not, the same is a duplicate answered with the archived receipt
	if got, dup, err := l.ExpectReceipt(ctx, "asn-key", in, "B3001", "pda"); err != nil || !dup || !reflect.DeepEqual(got, closed) {
		t.Fatalf("the keyed resend: %+v %v %v", got, dup, err)
	}
	if got, dup, err := l.ExpectReceipt(ctx, "", in, "B3001", "pda"); err != nil || !dup || !reflect.DeepEqual(got, closed) {
		t.Fatalf("the resend: %+v %v %v", got, dup, err)
	}
	changed := in
	changed.Lines = []LineIn{{"MILK", 11}}
	if _, _, err := l.ExpectReceipt(ctx, "", changed, "B3001", "pda"); ErrorCode(err) != CodeConflict {
		t.Fatalf("a changed resend: %v", err)
	}
	// its number takes nothing more
	if _, err := l.Receive(ctx, "r2", Receiving{Receipt: "ASN1", SKU: "MILK", Lot: "FRESH", Expiry: "2028-10-01", Qty: 1, Location: "DOCK-01"}, "B3001", "pda"); ErrorCode(err) != CodeConflict {
		t.Fatalf("a receiving on the archived receipt: %v", err)
	}
	if err := l.RefuseReceipt(ctx, "rf2", ReceiveRefusal{Receipt: "ASN1", SKU: "MILK", Qty: 1, Reason: "receive.damaged"}, "B3001", "pda"); ErrorCode(err) != CodeConflict {
		t.Fatalf("a refusal on the archived receipt: %v", err)
	}
	if _, err := l.Receipt(blind); err != nil {
		t.Fatalf("the archived blind receipt: %v", err)
	}
	if next, err := l.NextBlindReceipt("2026-11-11", "B3001"); err != nil || next == blind {
		t.Fatalf("the next blind receipt %q reuses the archived %q (%v)", next, blind, err)
	}
	if run, err := archive(); err != nil || run.Receipts != 0 {
		t.Fatalf("a second run moved %d, %v", run.Receipts, err)
	}
	before := projections(t, l)
	if err := l.Rebuild(); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(projections(t, l), before) {
		t.Fatal("a rebuild gives other projections")
	}
	// a standby reaches the same state; with the primary's file copied (not
	// its list of members) it reads the archived receipt too
	replicateAll(t, l, near, 50)
	sameState(t, l, near)
	file := closed.Closed.In(l.zone).Format("2006-01") + receiptsSuffix
	raw, err := os.ReadFile(filepath.Join(l.ArchiveDir(), file))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := near.Receipt("ASN1"); ErrorCode(err) != CodeNotFound {
		t.Fatalf("the standby without the file: %v", err)
	}
	if err := os.MkdirAll(near.ArchiveDir(), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(near.ArchiveDir(), file), raw, 0o640); err != nil {
		t.Fatal(err)
	}
	if got, err := near.Receipt("ASN1"); err != nil || !reflect.DeepEqual(got, closed) {
		t.Fatalf("the standby's archived receipt: %+v %v", got, err)
	}
	if members, n, err := near.VerifyRecordFiles(); err != nil || members != 1 || n != 2 {
		t.Fatalf("verify on the standby: %d members %d receipts %v", members, n, err)
	}
	// a restore's proof reads the named file; without it the receipt is said missing
	if members, n, err := l.VerifyRecordFiles(); err != nil || members != 1 || n != 2 {
		t.Fatalf("verify: %d members %d receipts %v", members, n, err)
	}
	// an entry whose member does not hold its receipt is named, and the
	// count of the member's entries is not enough to pass it
	ghost := receiptKey(OwnerOr(closed.Owner), "GHOST")
	setGhost := func(on bool) {
		t.Helper()
		if err := l.db.Update(func(tx *bolt.Tx) error {
			b := tx.Bucket(bucketArchivedReceipts)
			if !on {
				return b.Delete(ghost)
			}
			return b.Put(ghost, append([]byte{}, b.Get(receiptKey(OwnerOr(closed.Owner), "ASN1"))...))
		}); err != nil {
			t.Fatal(err)
		}
	}
	setGhost(true)
	if _, _, err := l.VerifyRecordFiles(); ErrorCode(err) != CodeNotFound || !strings.Contains(err.Error(), "GHOST") {
		t.Fatalf("verify with an entry its member lacks: %v", err)
	}
	setGhost(false)
	if err := os.Remove(filepath.Join(l.ArchiveDir(), file)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := l.VerifyRecordFiles(); ErrorCode(err) != CodeNotFound || !strings.HasPrefix(err.Error(), "archive.receipt_file_missing") {
		t.Fatalf("verify without the file: %v", err)
	}
	if _, err := l.Receipt("ASN1"); ErrorCode(err) != CodeNotFound || !strings.HasPrefix(err.Error(), "archive.receipt_file_missing") {
		t.Fatalf("the receipt without its file: %v", err)
	}
}

// liveKeys lists a bucket's keys.
func liveKeys(t *testing.T, l *Ledger, b []byte) []string {
	t.Helper()
	var out []string
	if err := l.view(func(tx *txn) error {
		return tx.Bucket(b).ForEach(func(k, _ []byte) error { out = append(out, string(k)); return nil })
	}); err != nil {
		t.Fatal(err)
	}
	return out
}
