package loadgen

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// percentile is the nearest-rank p-th percentile (0 < p <= 100) of sorted
// values: the smallest value with at least p% of the values at or below it.
// It is 0 for no values.
func percentile(sorted []time.Duration, p float64) time.Duration {
	n := len(sorted)
	if n == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(n)))
	rank = min(max(rank, 1), n)
	return sorted[rank-1]
}

// ms is a duration in milliseconds.
func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// counters are the run's figures, shared by every goroutine.
type counters struct {
	events    atomic.Int64 // acknowledged scans (2xx, and the 409s a handheld expects)
	errors    atomic.Int64 // transport errors, 5xx, unexpected 4xx
	conflicts atomic.Int64 // scans answered 409 (counted in events)
	shorts    atomic.Int64 // short reports sent after a refused pick
	rejects   atomic.Int64 // wrong-scan records sent
	tasks     atomic.Int64 // tasks started by the handhelds
	busy      atomic.Int64 // tasks/next answered 409 task.busy (contention, not an error)
	idle      atomic.Int64 // tasks/next answered 404: nothing to do
	orders    atomic.Int64 // orders created while measuring
	waves     atomic.Int64 // waves released while measuring

	mu      sync.Mutex
	samples map[string]int // error kinds and how often, for the log
}

// fail counts an error and remembers what kind it was.
func (c *counters) fail(what string, err error) {
	c.errors.Add(1)
	kind := what + ": " + errorKind(err)
	c.mu.Lock()
	if c.samples == nil {
		c.samples = map[string]int{}
	}
	if len(c.samples) < 50 || c.samples[kind] > 0 {
		c.samples[kind]++
	}
	c.mu.Unlock()
}

// errorKind shortens an error to what tells it apart from others.
func errorKind(err error) string {
	if ae, ok := err.(*apiError); ok {
		return fmt.Sprintf("%d %s %s", ae.Status, ae.Code, ae.Message)
	}
	s := err.Error()
	if len(s) > 160 {
		s = s[:160]
	}
	return s
}

// errorSummary lists the kinds of errors seen, most frequent first.
func (c *counters) errorSummary() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	kinds := make([]string, 0, len(c.samples))
	for k := range c.samples {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool {
		if a, b := c.samples[kinds[i]], c.samples[kinds[j]]; a != b {
			return a > b
		}
		return kinds[i] < kinds[j]
	})
	out := make([]string, len(kinds))
	for i, k := range kinds {
		out[i] = fmt.Sprintf("%d× %s", c.samples[k], k)
	}
	return out
}

// latencies merges the handhelds' scan latencies, sorted.
func latencies(parts [][]time.Duration) []time.Duration {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	all := make([]time.Duration, 0, n)
	for _, p := range parts {
		all = append(all, p...)
	}
	slices.Sort(all)
	return all
}
