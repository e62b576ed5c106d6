package wms

import (
	"math"
	"runtime/debug"
	"runtime/metrics"
	"sync"
)

// A replay allocates fast and keeps little: its live heap is the overlay,
// the memo and a chunk of decoded events (some 80 MB on a generated
// 1,000,000-event store), and with the collector's default (GOGC 100) it
// collected every 80 MB allocated — the collector and its write barriers
// were a sixth of a replay's CPU (BenchmarkRebuildAB, TALLY_AB=gc). While a replay runs, the collector
// therefore lets the heap grow to replayGCPercent over the live heap, but
// no further than replayHeadroom above the memory the process used when
// the replay began (a soft memory limit: past it the collector runs as
// often as it must), so the replay's memory stays bounded as before: a
// replay whose live heap grows towards the limit collects more often
// instead of holding more.
//
// Neither is changed when the process set its own: a GOGC above
// replayGCPercent or off, a memory limit (GOMEMLIMIT). Replays at once
// (a check beside a rebuild) share one setting; the last to end restores
// the process's.
const (
	replayGCPercent = 300
	replayHeadroom  = 512 << 20
)

var replayGCState struct {
	mu       sync.Mutex
	n        int // replays running
	percent  int // the process's GOGC, restored by the last
	limit    int64
	setLimit bool
}

// replayTuneGC turns replayGC on (a variable so that the benchmark can
// compare with it off: TALLY_AB=gc).
var replayTuneGC = true

// replayGC sets the collector for a replay; the returned func undoes it.
func replayGC() (restore func()) {
	if !replayTuneGC {
		return func() {}
	}
	s := &replayGCState
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n++
	if s.n == 1 {
		s.percent = debug.SetGCPercent(replayGCPercent)
		if s.percent < 0 || s.percent >= replayGCPercent {
			debug.SetGCPercent(s.percent) // the process's own: kept
		}
		s.limit = debug.SetMemoryLimit(-1)
		s.setLimit = s.limit == math.MaxInt64
		if s.setLimit {
			debug.SetMemoryLimit(int64(memoryInUse()) + replayHeadroom)
		}
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.n--
			if s.n == 0 {
				debug.SetGCPercent(s.percent)
				if s.setLimit {
					debug.SetMemoryLimit(s.limit)
				}
			}
		})
	}
}

// memoryInUse is the memory the Go runtime holds from the system and has
// not given back, as the memory limit counts it.
func memoryInUse() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64() - s[1].Value.Uint64()
}
