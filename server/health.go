package server

import (
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// healthz is for the watchdog and load balancer: no login, a small JSON body.
func (s *Server) healthz(c *fiber.Ctx) error {
	if st := s.ledger.DiskFull(); st.Full {
		return s.healthzDiskFull(c, st)
	}
	return c.JSON(fiber.Map{
		"status":   "ok",
		"version":  s.cfg.Version,
		"last_seq": s.ledger.LastSeq(),
		"uptime_s": int64(time.Since(s.started).Seconds()),
		"node":     s.nodeHealth(),
		"backup":   s.backupHealth(), // null when no backups are scheduled
	})
}

// metrics counts requests by route and status and times them.
type metrics struct {
	mu       sync.Mutex
	requests map[requestKey]uint64
	seconds  map[string]*histogram // route -> latencies
}

// requestKey is counted per request; it is formatted only when scraped.
type requestKey struct {
	method, route string
	status        int
}

func (k requestKey) String() string {
	return fmt.Sprintf(`method=%q,route=%q,status="%d"`, k.method, k.route, k.status)
}

var latencyBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5}

type histogram struct {
	counts []uint64
	sum    float64
	n      uint64
}

func newMetrics() *metrics {
	return &metrics{requests: map[requestKey]uint64{}, seconds: map[string]*histogram{}}
}

func (m *metrics) observe(method, route string, status int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests[requestKey{method, route, status}]++
	h := m.seconds[route]
	if h == nil {
		h = &histogram{counts: make([]uint64, len(latencyBuckets))}
		m.seconds[route] = h
	}
	sec := d.Seconds()
	for i, b := range latencyBuckets {
		if sec <= b {
			h.counts[i]++
		}
	}
	h.sum += sec
	h.n++
}

// metricsText writes the Prometheus text exposition format.
func (s *Server) metricsText(c *fiber.Ctx) error {
	var b strings.Builder
	m := s.metrics
	m.mu.Lock()
	b.WriteString("# HELP tally_http_requests_total HTTP requests by route and status.\n# TYPE tally_http_requests_total counter\n")
	counted := make([]string, 0, len(m.requests))
	byLabel := make(map[string]uint64, len(m.requests))
	for k, n := range m.requests {
		counted = append(counted, k.String())
		byLabel[k.String()] = n
	}
	slices.Sort(counted)
	for _, k := range counted {
		fmt.Fprintf(&b, "tally_http_requests_total{%s} %d\n", k, byLabel[k])
	}
	b.WriteString("# HELP tally_http_request_seconds HTTP request latency.\n# TYPE tally_http_request_seconds histogram\n")
	for _, route := range sortedKeys(m.seconds) {
		h := m.seconds[route]
		k := fmt.Sprintf(`route=%q`, route)
		for i, le := range latencyBuckets {
			fmt.Fprintf(&b, "tally_http_request_seconds_bucket{%s,le=\"%g\"} %d\n", k, le, h.counts[i])
		}
		fmt.Fprintf(&b, "tally_http_request_seconds_bucket{%s,le=\"+Inf\"} %d\n", k, h.n)
		fmt.Fprintf(&b, "tally_http_request_seconds_sum{%s} %g\ntally_http_request_seconds_count{%s} %d\n", k, h.sum, k, h.n)
	}
	m.mu.Unlock()

	st := s.ledger.Stats()
	size, db := s.ledger.DBStats()
	counter := func(name, help string, v uint64) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
	}
	gauge := func(name, help string, v float64) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s gauge\n%s %g\n", name, help, name, name, v)
	}
	seconds := func(name, help string, d time.Duration) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s counter\n%s %g\n", name, help, name, name, d.Seconds())
	}
	counter("tally_ledger_appends_total", "Events appended by this process.", st.Appends.Load())
	counter("tally_ledger_duplicates_total", "Appends answered from an earlier append with the same event ID.", st.Duplicates.Load())
	counter("tally_ledger_rejects_total", "Appends refused (invalid or conflicting).", st.Rejects.Load())
	gauge("tally_ledger_append_seconds_total", "Time callers spent in Append.", float64(st.AppendMicros.Load())/1e6)
	gauge("tally_ledger_last_seq", "Sequence number of the newest event.", float64(s.ledger.LastSeq()))
	gauge("tally_db_file_bytes", "Size of the bbolt file.", float64(size))
	counter("tally_db_write_tx_total", "bbolt write transactions committed.", st.WriteTx.Load())
	gauge("tally_db_free_pages", "Free pages in the bbolt file.", float64(db.FreePageN))
	counter("tally_db_pages_written_total", "Pages commits laid out and wrote: records, branches and the free list (not the meta page each commit writes).", uint64(db.TxStats.GetPageCount()))
	counter("tally_db_write_calls_total", "Write calls commits made: one a node (a node of several pages in one), and one for the meta page.", uint64(db.TxStats.GetWrite()))
	seconds("tally_db_write_seconds_total", "Time commits spent writing pages to the file and syncing them to disk (growing the file not included).", db.TxStats.GetWriteTime())
	seconds("tally_db_spill_seconds_total", "Time commits spent laying changed records out into pages before writing them.", db.TxStats.GetSpillTime())
	gauge("tally_go_goroutines", "Goroutines.", float64(runtime.NumGoroutine()))
	counter("tally_login_unknown_badge_total", "Failed logins with a badge nobody has (they write no event).", s.logins.unknownBadges.Load())
	counter("tally_login_rate_limited_total", "Logins refused with 429: too many failures from the address or on the badge.", s.logins.limited.Load())
	s.standbyMetrics(&b)
	s.commitMetrics(&b)
	s.eventArchiveMetrics(&b)
	s.diskMetrics(&b)
	s.backupMetrics(&b)
	if err := s.syncMetrics(&b); err != nil {
		return err
	}
	if err := s.channelStockMetrics(&b); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/plain; version=0.0.4; charset=utf-8")
	return c.SendString(b.String())
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
