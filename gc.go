package main

import (
	"os"
	"runtime/debug"
	"strconv"
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

// tuneGC sets serverGCPercent unless GOGC is set, and says which target
// the collector has, for the log.
func tuneGC() string {
	if v := os.Getenv("GOGC"); v != "" {
		return v + " (GOGC)"
	}
	debug.SetGCPercent(serverGCPercent)
	return strconv.Itoa(serverGCPercent)
}
