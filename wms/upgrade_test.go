package wms

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// The stores in testdata/v5 were written by Tally with projections version 5
// (commit 3286e61), each the file one of that version's wms tests left behind.
// Opening them with this version must rebuild whatever projections changed,
// leave the log byte for byte as it was, and pass Check.
func TestStoresWrittenBeforeOwnersUpgrade(t *testing.T) {
	files, err := filepath.Glob("testdata/v5/*.db.gz")
	if err != nil || len(files) == 0 {
		t.Fatalf("no old stores in testdata/v5: %v", err)
	}
	for _, f := range files {
		t.Run(strings.TrimSuffix(filepath.Base(f), ".db.gz"), func(t *testing.T) {
			dir := t.TempDir()
			if err := gunzipTo(f, filepath.Join(dir, dbFile)); err != nil {
				t.Fatal(err)
			}
			before := rawLog(t, filepath.Join(dir, dbFile))
			l, err := Open(dir, Options{Zone: time.FixedZone("CST", 8*3600)})
			if err != nil {
				t.Fatalf("open: %v", err)
			}
			if from, rebuilt := l.RebuiltFrom(); projectionsVersion != "5" && (!rebuilt || from != "5") {
				t.Errorf("opened without rebuilding from version 5 (rebuilt %v from %q)", rebuilt, from)
			}
			mm, err := l.Check(dir)
			if err != nil {
				t.Fatalf("check: %v", err)
			}
			for _, m := range mm {
				t.Errorf("projection differs from rebuild: %s", m)
			}
			l.Close()
			after := rawLog(t, filepath.Join(dir, dbFile))
			if len(after) != len(before) {
				t.Fatalf("the log has %d events after the upgrade, %d before", len(after), len(before))
			}
			for i := range before {
				if !bytes.Equal(before[i], after[i]) {
					t.Fatalf("event %d was rewritten:\n%s\n%s", i+1, before[i], after[i])
				}
			}
		})
	}
}

func gunzipTo(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		return err
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, zr); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// rawLog reads every stored event's bytes, in sequence order.
func rawLog(t *testing.T, path string) [][]byte {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out [][]byte
	if err := db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketEvents).ForEach(func(_, v []byte) error {
			out = append(out, bytes.Clone(v))
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("the old store holds no events")
	}
	return out
}
