package wms_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"tally/scan"
	"tally/server"
	"tally/standby"
	"tally/wms"
)

// TestStandbyFetchesOrderTable: an order table (.ords, ordertable.go) is
// served to a standby over loopback HTTP by GET
// /api/v1/replication/id-tables/NAME as the ID tables are: the file as
// stored to a replica's token, 401 without one, 403 to a picker's, 404 for
// a table the store lacks, 400 for what is no table's name. A standby
// following over HTTP when the run moves the keys ends with the same
// table and a store that passes its check; a standby that must fetch it (AdoptIDTable:
// what the follower does on ords.digest_differs) keeps the primary's bytes
// only under the table's own digest and leaves nothing when it is not.
func TestStandbyFetchesOrderTable(t *testing.T) {
	ctx := context.Background()
	dirP, dirS, dirF := filepath.Join(t.TempDir(), "primary"), filepath.Join(t.TempDir(), "standby"), filepath.Join(t.TempDir(), "fetcher")
	primary, archive := wms.OrderTableForTest(t, dirP)
	token, err := primary.CreateToken(ctx, "standby", wms.RoleReplica, "test")
	if err != nil {
		t.Fatal(err)
	}
	picker, err := primary.CreateToken(ctx, "pda", wms.RolePicker, "test")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	srvP := server.New(server.Config{}, primary, scan.NewParser(scan.DefaultPatterns()), quiet)
	go func() { _ = srvP.Serve(ln) }()
	t.Cleanup(func() { _ = srvP.Shutdown(ctx) })
	primaryURL := "http://" + ln.Addr().String()

	// a standby follows over HTTP; the run that moves the orders' keys
	// comes to it through the replication read
	standbyL := openChecked(t, dirS)
	if err := standbyL.Follow(primaryURL); err != nil {
		t.Fatal(err)
	}
	f, err := standby.New(standbyL, standby.Options{Primary: primaryURL, Token: token, Wait: time.Second, Limit: 200, Log: quiet})
	if err != nil {
		t.Fatal(err)
	}
	followCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- f.Run(followCtx) }()
	stopFollowing := sync.OnceFunc(func() { stop(); <-done })
	t.Cleanup(stopFollowing)
	caughtUp := func() {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for standbyL.LastSeq() != primary.LastSeq() {
			if time.Now().After(deadline) {
				t.Fatalf("the standby is at %d, the primary at %d: %+v", standbyL.LastSeq(), primary.LastSeq(), f.StandbyStatus())
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	caughtUp()
	table := archive()
	caughtUp()
	stopFollowing()
	name := filepath.Base(table)
	want, err := os.ReadFile(table)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(want)
	digest := hex.EncodeToString(sum[:])
	if !strings.Contains(name, digest[:16]) {
		t.Fatalf("%s is not named by its digest %s", name, digest)
	}
	if got, err := os.ReadFile(filepath.Join(standbyL.ArchiveDir(), name)); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("the standby's %s: %d bytes, %v", name, len(got), err)
	}
	if files, records, err := standbyL.VerifyOrderTables(); err != nil || files != 1 || records == 0 {
		t.Fatalf("the standby's order tables: %d files %d records %v", files, records, err)
	}

	get := func(path, token string) (int, []byte) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, primaryURL+"/api/v1/replication/id-tables/"+path, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, body
	}
	for _, c := range []struct {
		path, token string
		status      int
	}{
		{name, token, 200},
		{name, "", 401},
		{name, picker, 403},
		{name[:8] + "0123456789abcdef.ords", token, 404},
		{name[:7] + ".ords", token, 400},
		{strings.TrimSuffix(name, ".ords") + ".ORDS", token, 400},
		{"..%2F" + name, token, 400},
	} {
		status, body := get(c.path, c.token)
		if status != c.status {
			t.Fatalf("GET %s: %d %.200s, want %d", c.path, status, body, c.status)
		}
		if status == 200 && !bytes.Equal(body, want) {
			t.Fatalf("GET %s: %d bytes, not the file's %d", c.path, len(body), len(want))
		}
	}

	// a standby that must fetch it keeps it only under its digest
	fetcher := openChecked(t, dirF)
	if err := fetcher.Follow(primaryURL); err != nil {
		t.Fatal(err)
	}
	status, body := get(name, token)
	if status != 200 {
		t.Fatalf("GET %s: %d", name, status)
	}
	wrong := strings.Repeat("0", 16) + digest[16:]
	if err := fetcher.AdoptIDTable(name, wrong, bytes.NewReader(body), int64(len(body))); wms.ErrorCode(err) != wms.CodeInvalid {
		t.Fatalf("adopting %s under another digest: %v", name, err)
	}
	other := []byte(strings.Repeat("x", len(body)))
	if err := fetcher.AdoptIDTable(name, digest, bytes.NewReader(other), int64(len(other))); wms.ErrorCode(err) != wms.CodeConflict {
		t.Fatalf("adopting other bytes as %s: %v", name, err)
	}
	if left, _ := filepath.Glob(filepath.Join(fetcher.ArchiveDir(), "*")); len(left) != 0 {
		t.Fatalf("a refused fetch left %v", left)
	}
	if err := fetcher.AdoptIDTable(name, digest, bytes.NewReader(body), int64(len(body))); err != nil {
		t.Fatalf("adopting %s: %v", name, err)
	}
	if got, err := os.ReadFile(filepath.Join(fetcher.ArchiveDir(), name)); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("the fetched %s: %d bytes, %v", name, len(got), err)
	}
}

// openChecked opens a store in dir that its check must pass when the test
// ends (what `tally check` does).
func openChecked(t *testing.T, dir string) *wms.Ledger {
	t.Helper()
	l, err := wms.Open(dir, wms.Options{Zone: time.FixedZone("CST", 8*3600)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if mm, err := l.Check(dir); err != nil || len(mm) > 0 {
			t.Errorf("check %s: %v %v", dir, mm, err)
		}
		l.Close()
	})
	return l
}
