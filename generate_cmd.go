package main

import (
	"context"
	"errors"

	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"tally/views"
	"tally/wms"
)

// generateCmd writes a store of simulated warehouse days (wms.Generate),
// for benchmarks of big stores and for sizing a machine, and measures how
// fast against raw bbolt puts of the same bytes in the same run.
func generateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("generate")
	data := fs.String("data", "", "the new store's directory, empty or absent (required)")
	events := fs.Int("events", 0, fmt.Sprintf("about how many events to write (required; 1000 to %d)", wms.MaxGenerateEvents))
	days := fs.Int("days", 30, fmt.Sprintf("simulated days (1 to %d)", wms.MaxGenerateDays))
	seed := fs.Uint64("seed", 1, "the same seed and --start write the same work")
	start := fs.String("start", "", "the first simulated day, YYYY-MM-DD (default: --days before today)")
	tz := fs.String("tz", env("TZ", "Asia/Shanghai"), "the warehouse's time zone, whose days are simulated (TALLY_TZ)")
	keepFree := fs.Uint("keep-free", 2, fmt.Sprintf("GiB to leave free on the store's disk: the run stops, its store whole, before it takes them (0 to %d)", maxKeepFreeGiB))
	ceiling := fs.Bool("ceiling", true, "afterwards, time raw bbolt puts of the log's bytes (the ceiling) and print the ratio")
	lang := fs.String("lang", env("LANG_UI", "en"), "language of messages: en or zh-CN")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *data == "" || *events == 0 || fs.NArg() != 0 {
		return errors.New("usage: tally generate --data DIR --events N [--days 30] [--seed S] [--start YYYY-MM-DD] [--tz ZONE] [--keep-free GiB]")
	}
	if *keepFree > maxKeepFreeGiB {
		return fmt.Errorf("--keep-free %d: at most %d GiB", *keepFree, maxKeepFreeGiB)
	}
	zone, err := time.LoadLocation(*tz)
	if err != nil {
		return fmt.Errorf("time zone %q: %w", *tz, err)
	}
	var first time.Time
	if *start != "" {
		if first, err = time.ParseInLocation("2006-01-02", *start, zone); err != nil {
			return fmt.Errorf("--start %q: write the day as YYYY-MM-DD", *start)
		}
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := wms.Generate(ctx, *data, wms.GenerateOptions{Events: *events, Days: *days, Seed: *seed, Start: first, Zone: zone, Progress: stderr, KeepFree: uint64(*keepFree) << 30})
	if e, ok := wms.AsError(err); ok {
		return errors.New(views.Translate(*lang, e.Key, e.Args))
	}
	if err != nil {
		if res.Elapsed > 0 {
			return fmt.Errorf("%w (the store in %s is incomplete: delete it)", err, *data)
		}
		return err
	}
	fmt.Fprintf(stdout, "generated %d events (%d orders, %d shipped) over %d days in %s: %.0f events/s; %s on disk, %.0f bytes an event\n",
		res.Events, res.Orders, res.Shipped, res.Days, res.Elapsed.Round(time.Second), res.PerSecond(), mib(res.FileBytes), float64(res.FileBytes)/float64(res.Events))
	if *ceiling {
		raw, err := wms.RawCeiling(*data, *data)
		if err != nil {
			return fmt.Errorf("ceiling: %w", err)
		}
		fmt.Fprintf(stdout, "ceiling, raw bbolt puts of the same bytes (no fsync, %d a commit) in this run: %.0f events/s; generate is %.3f× of it\n",
			wms.GenerateCommitEvery, raw, res.PerSecond()/raw)
	}
	return nil
}

// maxKeepFreeGiB bounds --keep-free: more than any disk has.
const maxKeepFreeGiB = 1 << 20

// mib is a size in MiB for people.
func mib(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
