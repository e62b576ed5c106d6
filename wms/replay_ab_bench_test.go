package wms

import (
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"
)

// BenchmarkRebuildAB measures one change to the replay against its absence
// in one process, rebuilds alternating between the two (the machine is
// shared and its speed drifts by a third within an hour, so runs minutes
// apart do not compare): TALLY_AB_PAIRS pairs (default 3) of rebuilds of
// the store in TALLY_REBUILD_DATA (else BenchmarkRebuildCheck's store of
// TALLY_REBUILD_EVENTS), A without the change and B with it, each timed in
// CPU seconds of this process and wall. It reports B's events per CPU
// second over A's (the median of the pairs) and both rates. The change is
// TALLY_AB:
//
//	typed     orders and tasks held decoded across a chunk (overlay_typed.go)
//	chunk=N   chunks of N events instead of replayChunkEvents
//	gc        the collector set for replays (replay_gc.go)
//
//	TALLY_REBUILD_DATA=/tmp/r1m TALLY_AB=typed go test ./wms -run XXX -bench RebuildAB -benchtime 1x
func BenchmarkRebuildAB(b *testing.B) {
	pairs := 3
	if v := os.Getenv("TALLY_AB_PAIRS"); v != "" {
		var err error
		if pairs, err = strconv.Atoi(v); err != nil || pairs <= 0 {
			b.Fatalf("TALLY_AB_PAIRS=%q", v)
		}
	}
	var set func(on bool)
	switch ab := os.Getenv("TALLY_AB"); {
	case ab == "typed":
		was := replayTyped
		defer func() { replayTyped = was }()
		set = func(on bool) { replayTyped = on }
	case len(ab) > 6 && ab[:6] == "chunk=":
		n, err := strconv.Atoi(ab[6:])
		if err != nil || n <= 0 {
			b.Fatalf("TALLY_AB=%q", ab)
		}
		was := replayChunkEvents
		defer func() { replayChunkEvents = was }()
		set = func(on bool) {
			replayChunkEvents = was
			if on {
				replayChunkEvents = n
			}
		}
	case ab == "gc":
		was := replayTuneGC
		defer func() { replayTuneGC = was }()
		set = func(on bool) { replayTuneGC = on }
	default:
		b.Fatalf("TALLY_AB=%q: typed, chunk=N or gc", ab)
	}
	dir := os.Getenv("TALLY_REBUILD_DATA")
	if dir == "" {
		dir = b.TempDir()
	}
	if _, err := os.Stat(filepath.Join(dir, dbFile)); err != nil {
		n := 100_000
		if v := os.Getenv("TALLY_REBUILD_EVENTS"); v != "" {
			if n, err = strconv.Atoi(v); err != nil || n <= 0 {
				b.Fatalf("TALLY_REBUILD_EVENTS=%q", v)
			}
		}
		buildReplayStore(b, dir, n)
	}
	l, err := Open(dir, Options{KeepProjections: true})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	events := float64(l.LastSeq())
	b.ResetTimer()
	for range b.N {
		var ratios, aCPU, bCPU, aWall, bWall []float64
		for range pairs {
			var cpu, wall [2]float64
			for i, on := range []bool{false, true} {
				set(on)
				start, c := time.Now(), cpuTime()
				if err := l.Rebuild(); err != nil {
					b.Fatal(err)
				}
				cpu[i], wall[i] = events/(cpuTime()-c).Seconds(), events/time.Since(start).Seconds()
			}
			b.Logf("pair: A %.0f ev/CPU-s (%.0f wall), B %.0f ev/CPU-s (%.0f wall): B/A %.3f", cpu[0], wall[0], cpu[1], wall[1], cpu[1]/cpu[0])
			ratios = append(ratios, cpu[1]/cpu[0])
			aCPU, bCPU = append(aCPU, cpu[0]), append(bCPU, cpu[1])
			aWall, bWall = append(aWall, wall[0]), append(bWall, wall[1])
		}
		b.ReportMetric(median(ratios), "B/A_cpu")
		b.ReportMetric(median(aCPU), "A_ev/cpu_s")
		b.ReportMetric(median(bCPU), "B_ev/cpu_s")
		b.ReportMetric(median(aWall), "A_ev/s")
		b.ReportMetric(median(bWall), "B_ev/s")
	}
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}
