package wms

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// A backup taken while events keep coming is a consistent store of its own:
// it opens, holds the events up to the sequence it reports, and its
// projections equal a rebuild of its log.
func TestBackupWhileWriting(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			mustOrder(t, l, order(fmt.Sprintf("SO9%06d", i), LineIn{"BOOK", 1}))
		}
	}()
	dir := t.TempDir()
	path := filepath.Join(dir, dbFile)
	size, seq, err := l.BackupToFile(path)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Size() != size {
		t.Fatalf("backup file: %v, size %d want %d", err, fi.Size(), size)
	}
	if got, err := VerifyBackup(path); err != nil || got != seq {
		t.Fatalf("VerifyBackup = %d, %v; want %d", got, err, seq)
	}
	copyL, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer copyL.Close()
	if copyL.LastSeq() != seq {
		t.Errorf("copy holds events up to %d, want %d", copyL.LastSeq(), seq)
	}
	if mm, err := copyL.Check(dir); err != nil || len(mm) != 0 {
		t.Errorf("check of the copy: %v %v", mm, err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".tally-backup-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

// The streamed copy is exactly as long as announced; a reader closed early
// ends the read transaction (otherwise closing the ledger would hang).
func TestBackupReader(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	r, size, seq, err := l.BackupReader()
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if n, err := io.Copy(&buf, r); err != nil || n != size || seq != l.LastSeq() {
		t.Fatalf("copied %d of %d bytes (%v), seq %d of %d", n, size, err, seq, l.LastSeq())
	}
	r.Close()
	r, _, _, err = l.BackupReader()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(r, make([]byte, 100)); err != nil {
		t.Fatal(err)
	}
	r.Close()
	mustAppend(t, l, "after", EvStockAdjusted, StockAdjustment{SKU: "BOOK", Location: "A01-01-01", Delta: 1, Reason: "test"})
}

func TestVerifyBackupRefusesOtherFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "not.db")
	if err := os.WriteFile(path, []byte("这不是数据库"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyBackup(path); err == nil {
		t.Error("a text file passed as a backup")
	}
}
