package main

import (
	"math"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"testing"
)

// tally serve sets its collector target and a soft memory limit unless GOGC
// and GOMEMLIMIT are set, which win.
func TestTuneGC(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	prevLimit := debug.SetMemoryLimit(math.MaxInt64)
	defer debug.SetMemoryLimit(prevLimit)

	t.Setenv("GOGC", "")
	t.Setenv("GOMEMLIMIT", "")
	gogc, limit := tuneGC()
	if gogc != strconv.Itoa(serverGCPercent) {
		t.Errorf("without GOGC: %q, want %d", gogc, serverGCPercent)
	}
	if got := debug.SetGCPercent(100); got != serverGCPercent {
		t.Errorf("collector target %d, want %d", got, serverGCPercent)
	}
	want := serverMemLimit(memTotal("/proc/meminfo"))
	if got := debug.SetMemoryLimit(math.MaxInt64); got != want || got < memLimitMin || got > memLimitMax {
		t.Errorf("memory limit %d (%s), want %d within [%d, %d]", got, limit, want, memLimitMin, memLimitMax)
	}

	t.Setenv("GOGC", "150")
	t.Setenv("GOMEMLIMIT", "3GiB")
	debug.SetGCPercent(150)
	gogc, limit = tuneGC()
	if gogc != "150 (GOGC)" || limit != "3GiB (GOMEMLIMIT)" {
		t.Errorf("with GOGC=150 GOMEMLIMIT=3GiB: %q %q", gogc, limit)
	}
	if got := debug.SetGCPercent(150); got != 150 {
		t.Errorf("GOGC=150 was overridden: %d", got)
	}
	if got := debug.SetMemoryLimit(math.MaxInt64); got != math.MaxInt64 {
		t.Errorf("GOMEMLIMIT was overridden: %d", got)
	}
}

func TestServerMemLimit(t *testing.T) {
	for _, c := range []struct{ total, want int64 }{
		{0, 1 << 30},
		{-5, 1 << 30},
		{512 << 20, memLimitMin},
		{8 << 30, 2 << 30},
		{64 << 30, memLimitMax},
	} {
		if got := serverMemLimit(c.total); got != c.want {
			t.Errorf("serverMemLimit(%d) = %d, want %d", c.total, got, c.want)
		}
	}
	dir := t.TempDir()
	for body, want := range map[string]int64{
		"MemTotal:       16318516 kB\nMemFree: 1 kB\n": 16318516 * 1024,
		"MemFree: 1 kB\n":                     0,
		"MemTotal: lots kB\n":                 0,
		"MemTotal: 99999999999999999999 kB\n": 0,
	} {
		p := filepath.Join(dir, "meminfo")
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := memTotal(p); got != want {
			t.Errorf("memTotal(%q) = %d, want %d", body, got, want)
		}
	}
	if memTotal(filepath.Join(dir, "none")) != 0 {
		t.Error("a missing file gives 0")
	}
}
