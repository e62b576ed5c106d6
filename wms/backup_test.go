package wms

import (
	"fmt"
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

func TestVerifyBackupRefusesOtherFiles(t *testing.T) {
	path := filepath.Join(t.TempDir(), "not.db")
	if err := os.WriteFile(path, []byte("这不是数据库"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := VerifyBackup(path); err == nil {
		t.Error("a text file passed as a backup")
	}
}
