package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"tally/wms"
)

// An upgrade on one box (README, Upgrading): the new version follows the old
// as a standby in another data directory while the old serves and takes
// orders; then both stop, `tally upgrade` takes the events the standby had
// not read from the old file and promotes it, and the new version serves
// every event the old one took, byte for byte, its check passing, while the
// old store is left exactly as it was.
func TestUpgradeBesideTheOldVersion(t *testing.T) {
	oldDir, newDir := t.TempDir(), t.TempDir()
	var out bytes.Buffer
	token := func(role string) string {
		out.Reset()
		if err := run(context.Background(), []string{"token", "create", "--data", oldDir, "--name", role, "--role", role}, &out, &out); err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out.String())
	}
	t.Setenv("TALLY_FOLLOW_TOKEN", token("replica"))
	admin := token("admin")
	old, stopOld := serveIn(t, "--data", oldDir, "--demo")
	orders := 0
	order := func() {
		t.Helper()
		orders++
		body := fmt.Sprintf(`{"no":"SO-UP-%d","channel":"tmall","recipient":{"name":"张三","phone":"13800000000","address":"上海市浦东新区世纪大道100号"},"lines":[{"sku":"SKU03000","qty":1}]}`, orders)
		req, _ := http.NewRequest("POST", old+"/api/v1/orders", strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+admin)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", fmt.Sprintf("up-key-%d", orders))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusCreated {
			t.Fatalf("order %d on the old version: %d", orders, resp.StatusCode)
		}
	}
	for range 3 {
		order()
	}
	next, stopNext := serveIn(t, "--data", newDir, "--follow", old)
	for range 3 { // the floor carries on while the new version builds its projections
		order()
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		p, s := healthOf(t, old), healthOf(t, next)
		if s.Node.Standby.AppliedSeq == p.LastSeq && s.LastSeq == p.LastSeq {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the new version did not catch up: old %+v, new %+v", p, s)
		}
		time.Sleep(50 * time.Millisecond)
	}
	stopNext()
	for range 2 { // taken by the old version after the standby stopped reading
		order()
	}

	// while the old server has its file, upgrade refuses and changes nothing
	out.Reset()
	if err := run(context.Background(), []string{"upgrade", "--data", newDir, "--from", oldDir}, &out, &out); err == nil || !strings.Contains(err.Error(), "stop the old server first") {
		t.Fatalf("upgrade beside a running old server: %v %s", err, out.String())
	}
	stopped := time.Now()
	stopOld()
	oldSum := fileSum(t, filepath.Join(oldDir, "tally.db"))

	out.Reset()
	if err := run(context.Background(), []string{"upgrade", "--data", newDir, "--from", oldDir}, &out, &out); err != nil || !strings.Contains(out.String(), "took 2 events") || !strings.Contains(out.String(), "epoch 2") {
		t.Fatalf("upgrade: %v %s", err, out.String())
	}
	promoted, stopPromoted := serveIn(t, "--data", newDir)
	t.Logf("the floor stopped for %v (old server stopped to new one serving)", time.Since(stopped).Round(time.Millisecond))
	h := healthOf(t, promoted)
	if h.Node.Role != "primary" || h.Node.Epoch != 2 {
		t.Errorf("the new version after the upgrade: %+v", h)
	}
	stopPromoted()

	if fileSum(t, filepath.Join(oldDir, "tally.db")) != oldSum {
		t.Error("the upgrade changed the old store")
	}
	oldLog, newLog := logOf(t, oldDir), logOf(t, newDir)
	if len(newLog) != len(oldLog)+1 { // and the promotion
		t.Fatalf("the new store has %d events, the old %d", len(newLog), len(oldLog))
	}
	for i := range oldLog {
		if !bytes.Equal(oldLog[i], newLog[i]) {
			t.Fatalf("event %d differs:\nold %s\nnew %s", i+1, oldLog[i], newLog[i])
		}
	}
	if !bytes.Contains(newLog[len(newLog)-1], []byte(`"type":"node.promoted"`)) {
		t.Errorf("the last event is not the promotion: %s", newLog[len(newLog)-1])
	}
	// the clients' keys came along, those of the orders the standby never read too
	oldKeys, newKeys := keysOf(t, oldDir, "key_seqs"), keysOf(t, newDir, "key_seqs")
	if len(oldKeys) != orders {
		t.Fatalf("the old store indexed %d client keys, want %d", len(oldKeys), orders)
	}
	for k := range oldKeys {
		if !newKeys[k] {
			t.Errorf("client key %q did not come along with the upgrade", k)
		}
	}
	out.Reset()
	if err := run(context.Background(), []string{"check", "--data", newDir}, &out, &out); err != nil || !strings.HasPrefix(out.String(), "ledger ok") {
		t.Errorf("check after the upgrade: %v %s", err, out.String())
	}
	// a second upgrade finds a primary, not a standby, and changes nothing
	out.Reset()
	if err := run(context.Background(), []string{"upgrade", "--data", newDir, "--from", oldDir}, &out, &out); err == nil {
		t.Errorf("a second upgrade went through: %s", out.String())
	}
	if n := len(logOf(t, newDir)); n != len(newLog) {
		t.Errorf("the refused upgrade changed the log: %d events, were %d", n, len(newLog))
	}
}

func fileSum(t *testing.T, path string) [32]byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(raw)
}

// keysOf is the set of keys of one bucket of the store in dir.
func keysOf(t *testing.T, dir, bucket string) map[string]bool {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, "tally.db"), 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	out := map[string]bool{}
	if err := db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte(bucket)).ForEach(func(k, _ []byte) error {
			out[string(k)] = true
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// logOf reads every stored event of the store in dir, in order.
func logOf(t *testing.T, dir string) [][]byte {
	t.Helper()
	db, err := bolt.Open(filepath.Join(dir, "tally.db"), 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var out [][]byte
	if err := db.View(func(tx *bolt.Tx) error {
		return tx.Bucket([]byte("events")).ForEach(func(_, v []byte) error {
			out = append(out, bytes.Clone(v))
			return nil
		})
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

// tally check on a store whose rebuild was cut off says so (never "ok" on
// half-built projections); starting the server finishes the rebuild.
func TestCheckAfterAnInterruptedRebuild(t *testing.T) {
	dir := t.TempDir()
	var out bytes.Buffer
	if err := run(context.Background(), []string{"token", "create", "--data", dir, "--name", "x", "--role", "admin"}, &out, &out); err != nil {
		t.Fatal(err)
	}
	fail, writes := false, 0
	l, err := wms.Open(dir, wms.Options{FailWrites: func() error {
		if fail {
			if writes++; writes > 1 { // the rebuild's start commits, its first chunk does not
				return errors.New("killed")
			}
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	fail = true
	if err := l.Rebuild(); err == nil {
		t.Fatal("rebuild through a failing write")
	}
	l.Close()
	out.Reset()
	if err := run(context.Background(), []string{"check", "--data", dir}, &out, &out); err == nil || !strings.Contains(out.String(), "a rebuild of the projections stopped after event 0 of") {
		t.Errorf("check of a half-built store: %v %s", err, out.String())
	}
	_, stop := serveIn(t, "--data", dir)
	// while the server has the file, a rebuild is refused with the reason
	if err := run(context.Background(), []string{"rebuild", "--data", dir}, &out, &out); err == nil || !strings.Contains(err.Error(), "in use by another Tally process") {
		t.Errorf("rebuild beside a running server: %v", err)
	}
	stop()
	out.Reset()
	if err := run(context.Background(), []string{"check", "--data", dir}, &out, &out); err != nil || !strings.HasPrefix(out.String(), "ledger ok") {
		t.Errorf("check after the server finished the rebuild: %v %s", err, out.String())
	}
}
