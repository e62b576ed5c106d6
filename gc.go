package main

import (
	"bufio"
	"fmt"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// serverGCPercent is the garbage collector's target for `tally serve` when
// GOGC is not set. A scan allocates its request, its event and its answer
// and keeps none of them, while the live heap is small (the store is bbolt's
// memory map, not the heap): at Go's default of 100 the collector ran
// every few thousand scans and took 8-9 % of the server's CPU (README,
// "where a scan's time goes"). At 400 it runs a quarter as often; the heap
// may grow to five times what is live instead of twice. GOGC and
// GOMEMLIMIT, when set, are Go's own and win.
const serverGCPercent = 400

// Without GOMEMLIMIT, serve also sets a soft limit of a quarter of the
// machine's memory (at least 256 MiB, at most 4 GiB), so the larger target
// never lets a burst (an archive run's member, a big import) grow the heap
// past what a small box can spare: near the limit the collector simply
// runs more often.
const (
	memLimitMin = 256 << 20
	memLimitMax = 4 << 30
)

// tuneGC sets serverGCPercent unless GOGC is set and the soft memory limit
// unless GOMEMLIMIT is set, and says which target and limit the collector
// has, for the log.
func tuneGC() (gogc, limit string) {
	gogc = strconv.Itoa(serverGCPercent)
	if v := os.Getenv("GOGC"); v != "" {
		gogc = v + " (GOGC)"
	} else {
		debug.SetGCPercent(serverGCPercent)
	}
	if v := os.Getenv("GOMEMLIMIT"); v != "" {
		return gogc, v + " (GOMEMLIMIT)"
	}
	n := serverMemLimit(memTotal("/proc/meminfo"))
	debug.SetMemoryLimit(n)
	return gogc, fmt.Sprintf("%d MiB", n>>20)
}

// serverMemLimit is a quarter of total (bytes; 0 when unknown), within
// [memLimitMin, memLimitMax]; 1 GiB when the machine's memory is unknown.
func serverMemLimit(total int64) int64 {
	if total <= 0 {
		return 1 << 30
	}
	return min(max(total/4, memLimitMin), memLimitMax)
}

// memTotal reads MemTotal from a meminfo file, 0 when it cannot.
func memTotal(path string) int64 {
	f, err := os.Open(path)
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:")
		if !ok {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
		if err != nil || kb <= 0 || kb > math.MaxInt64/1024 {
			return 0
		}
		return kb * 1024
	}
	return 0
}
