package hub

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"tally/internal/proctest"
	"tally/syncer"
	"tally/syncer/qimen"
)

const (
	testUser     = "warehouses"
	testPassword = "s3cret-leaf-password"
)

// testCluster is a hub of size nodes with a bridge on each.
type testCluster struct {
	t       testing.TB
	cfgs    []NodeConfig
	nodes   []*Node
	bridges []*Bridge
	erp     *recorder
}

func startCluster(t testing.TB, size int, erp *recorder, bo BridgeOptions) *testCluster {
	t.Helper()
	dir := t.TempDir()
	c := &testCluster{t: t, erp: erp}
	leaf := proctest.FreePorts(t, size)
	var cluster []string
	if size > 1 {
		cluster = proctest.FreePorts(t, size)
	}
	for i := range size {
		cfg := NodeConfig{Name: fmt.Sprintf("hub-%d", i+1), StoreDir: filepath.Join(dir, fmt.Sprint(i)),
			LeafListen: leaf[i], LeafUser: testUser, LeafPassword: testPassword, LeafNoAdvertise: true}
		if size > 1 {
			cfg.Cluster, cfg.ClusterListen = "tally-hub", cluster[i]
			for j := range size {
				if j != i {
					cfg.Routes = append(cfg.Routes, cluster[j])
				}
			}
		}
		c.cfgs = append(c.cfgs, cfg)
	}
	c.nodes = make([]*Node, size)
	c.bridges = make([]*Bridge, size)
	for i := range size {
		n, err := StartNode(c.cfgs[i])
		if err != nil {
			t.Fatal(err)
		}
		c.nodes[i] = n
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i, n := range c.nodes {
		o := bo
		o.Send = erp.Send
		b, err := NewBridge(ctx, n, o)
		if err != nil {
			t.Fatal(err)
		}
		c.bridges[i] = b
	}
	t.Cleanup(func() {
		for i := range c.nodes {
			c.kill(i)
		}
	})
	return c
}

func (c *testCluster) leafURLs() []string {
	var out []string
	for _, cfg := range c.cfgs {
		out = append(out, cfg.LeafListen)
	}
	return out
}

// kill stops node i and its bridge, as a hub machine going down.
func (c *testCluster) kill(i int) {
	if c.bridges[i] != nil {
		c.bridges[i].Close()
	}
	if c.nodes[i] != nil {
		c.nodes[i].Close()
	}
}

// recorder counts calls by ID: the ERP's confirmations at Send, or a
// warehouse's applied calls.
type recorder struct {
	mu   sync.Mutex
	got  map[string]int
	by   map[string]map[string]bool // warehouse → IDs
	fail func(qimen.Call) bool
	// refuse says which calls the ERP refuses for good (each try counted)
	refuse  func(qimen.Call) bool
	refused map[string]int
	first   time.Time
	// slow says how long the ERP takes to answer a call; Send gives up
	// (the ERP took nothing) when its ctx ends first
	slow func(qimen.Call) time.Duration
	// late says how long the ERP takes to answer after it took a call:
	// Send cut off meanwhile fails, though the ERP has the call
	late func(qimen.Call) time.Duration
}

func newRecorder() *recorder {
	return &recorder{got: map[string]int{}, by: map[string]map[string]bool{}}
}

func (r *recorder) record(c qimen.Call) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.first.IsZero() {
		r.first = time.Now()
	}
	r.got[c.ID]++
	if r.by[c.Warehouse] == nil {
		r.by[c.Warehouse] = map[string]bool{}
	}
	r.by[c.Warehouse][c.ID] = true
}

func (r *recorder) Send(ctx context.Context, c qimen.Call) error {
	if r.slow != nil {
		select {
		case <-time.After(r.slow(c)):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if r.fail != nil && r.fail(c) {
		return fmt.Errorf("the ERP is down")
	}
	if r.refuse != nil && r.refuse(c) {
		r.mu.Lock()
		if r.refused == nil {
			r.refused = map[string]int{}
		}
		r.refused[c.ID]++
		r.mu.Unlock()
		return fmt.Errorf("%w: invalid-content: no such order", syncer.ErrQimenRefused)
	}
	r.record(c)
	if r.late != nil {
		select {
		case <-time.After(r.late(c)):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

func (r *recorder) Apply(_ context.Context, c qimen.Call) []byte {
	r.record(c)
	return success("")
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.got)
}

func (r *recorder) firstAt() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.first
}

// doubles lists the IDs recorded more than once.
func (r *recorder) doubles() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for id, n := range r.got {
		if n > 1 {
			out = append(out, id)
		}
	}
	return out
}

func (r *recorder) has(wh, id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.by[wh][id]
}

func waitFor(t testing.TB, d time.Duration, what string, ok func() bool) {
	t.Helper()
	end := time.Now().Add(d)
	for !ok() {
		if time.Now().After(end) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func ciNoSkip(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		return
	}
	if testing.Short() {
		t.Skip(why)
	}
}

// testWriter logs through t (errors only reach it: the cluster test's
// logger is at error level).
type testWriter struct{ t testing.TB }

func (w *testWriter) Write(p []byte) (int, error) {
	w.t.Log(string(p))
	return len(p), nil
}
