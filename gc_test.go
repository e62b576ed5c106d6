package main

import (
	"runtime/debug"
	"strconv"
	"testing"
)

// tally serve sets its collector target unless GOGC is set, which wins.
func TestTuneGC(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)

	t.Setenv("GOGC", "")
	if got := tuneGC(); got != strconv.Itoa(serverGCPercent) {
		t.Errorf("without GOGC: %q, want %d", got, serverGCPercent)
	}
	if got := debug.SetGCPercent(100); got != serverGCPercent {
		t.Errorf("collector target %d, want %d", got, serverGCPercent)
	}

	t.Setenv("GOGC", "150")
	debug.SetGCPercent(150)
	if got := tuneGC(); got != "150 (GOGC)" {
		t.Errorf("with GOGC=150: %q", got)
	}
	if got := debug.SetGCPercent(150); got != 150 {
		t.Errorf("GOGC=150 was overridden: %d", got)
	}
}
