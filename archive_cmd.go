package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"tally/server"
	"tally/wms"
)

// days is a duration flag that also takes whole days ("30d").
type days struct{ d *time.Duration }

func (f days) String() string {
	if f.d == nil {
		return ""
	}
	if *f.d%(24*time.Hour) == 0 {
		return strconv.FormatInt(int64(*f.d/(24*time.Hour)), 10) + "d"
	}
	return f.d.String()
}

func (f days) Set(s string) error {
	if n, ok := strings.CutSuffix(s, "d"); ok {
		v, err := strconv.Atoi(n)
		if err != nil || v < 0 || v > 100*366 {
			return fmt.Errorf("%q: days are a whole number, e.g. 30d", s)
		}
		*f.d = time.Duration(v) * 24 * time.Hour
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q: a number of days (30d) or a duration (36h)", s)
	}
	*f.d = d
	return nil
}

// registerRetention adds the archiving's retention flags.
func registerRetention(fs *flag.FlagSet, r *wms.Retention) {
	*r = wms.DefaultRetention()
	fs.Var(days{&r.Orders}, "keep-orders", "how long shipped or cancelled orders stay in the live store before archiving (e.g. 30d)")
	fs.Var(days{&r.Figures}, "keep-figures", "how long staff figures (per day, hour, pause, unit of work) stay live (e.g. 400d)")
	fs.Var(days{&r.Keys}, "keep-answers", "how long a keyed request's first answer is kept for its retries (e.g. 7d)")
	fs.Var(days{&r.IDs}, "keep-ids", "how long event IDs and keys stay in the live store before they move to the month's ID table (e.g. 10d; 0 keeps them live)")
	fs.Var(days{&r.Units}, "keep-work-units", "how long units of work (the KPI person page's tasks, calibration) stay live before they move to DATA/archive/YYYY-MM.units.gz, where the reports read them (e.g. 14d; 0 keeps them live)")
	fs.Var(days{&r.Events}, "keep-events", "how long events stay in the live log before they move to DATA/archive/YYYY-MM.events.gz (e.g. 3d; 0 keeps them)")
}

// archiveCmd runs one archiving on a stopped server's store; a running
// server archives once a day by itself (--archive-at).
func archiveCmd(ctx context.Context, args []string, stdout io.Writer) error {
	var r wms.Retention
	var report string
	l, _, c, err := openWith("archive", args, func(fs *flag.FlagSet, _ *common) {
		registerRetention(fs, &r)
		fs.StringVar(&report, "report", "", "archive nothing: write the month's archived orders (YYYY-MM) as CSV")
	})
	if errors.Is(err, wms.ErrLocked) {
		return fmt.Errorf("%w; a running server archives by itself once a day (--archive-at)", err)
	}
	if err != nil {
		return err
	}
	defer l.Close()
	if report != "" {
		return archiveReport(l, report, stdout)
	}
	run, err := l.Archive(ctx, r, "system", "cli")
	if err != nil {
		return fmt.Errorf("archive: %w", err)
	}
	printArchiveRun(stdout, run, l.ArchiveDir(), c.data)
	return nil
}

func printArchiveRun(w io.Writer, run wms.ArchiveRun, dir, data string) {
	fmt.Fprintf(w, "archived %d orders finished before %s and %d staff figure records in %d events; dropped %d stored answers (%s)\n",
		run.Orders, run.OrdersBefore.Format(time.RFC3339), run.Figures, run.Events, run.Answers, run.Took.Round(time.Millisecond))
	if run.IDs > 0 {
		fmt.Fprintf(w, "moved %d event IDs and keys to ID tables\n", run.IDs)
	}
	if run.Units > 0 {
		fmt.Fprintf(w, "moved %d units of work to units files\n", run.Units)
	}
	if run.Lots > 0 {
		fmt.Fprintf(w, "moved %d lot story entries to lot indexes\n", run.Lots)
	}
	if run.OrderKeys > 0 { // wms/ordertable.go
		fmt.Fprintf(w, "moved %d archived orders' keys (archived_orders, waybill_used, waybill_index) to order tables\n", run.OrderKeys)
	}
	if run.FloorTasks > 0 { // wms/taskarchive.go
		fmt.Fprintf(w, "archived %d finished count, put-back and move tasks to tasks files\n", run.FloorTasks)
	}
	if run.Receipts > 0 { // wms/receiptarchive.go
		fmt.Fprintf(w, "archived %d closed receipts to receipts files\n", run.Receipts)
	}
	if run.Parcels > 0 { // wms/parcelarchive.go
		fmt.Fprintf(w, "archived %d done return parcels to returns files\n", run.Parcels)
	}
	if run.IdleLots > 0 { // wms/lotleave.go
		fmt.Fprintf(w, "moved %d lots with nothing left to archived_lots\n", run.IdleLots)
	}
	if run.Moved > 0 {
		fmt.Fprintf(w, "moved %d events out of the live log to event segments (longest write transaction of the run: %s)\n", run.Moved, run.LongestWrite.Round(time.Millisecond))
	}
	if run.Skipped > 0 {
		fmt.Fprintf(w, "%d orders changed while being archived: the next run takes them\n", run.Skipped)
	}
	if len(run.Files) > 0 {
		fmt.Fprintf(w, "archive files in %s: %s\n", dir, strings.Join(run.Files, ", "))
	}
	if run.Events > 0 {
		fmt.Fprintf(w, "the file keeps its size (its pages are reused); `tally compact --data %s` with the server stopped gives them back to the disk\n", data)
	}
}

// compactCmd rewrites a stopped server's store densely and swaps it in.
func compactCmd(args []string, stdout io.Writer) error {
	fs := newFlags("compact")
	var c common
	c.register(fs)
	keep := fs.Bool("keep-old", false, "keep the replaced file beside the store as tally.db.before-compact-TIME")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.envErr != nil {
		return c.envErr
	}
	fmt.Fprintf(stdout, "compacting %s (a copy with full pages, proved key by key, then swapped in)...\n", c.data)
	r, err := wms.Compact(c.data, *keep, 0)
	if errors.Is(err, wms.ErrLocked) {
		return fmt.Errorf("compact: %w: stop the server first (compacting is a short stop); nothing was changed", err)
	}
	if err != nil {
		return fmt.Errorf("compact refused, nothing was changed: %w", err)
	}
	fmt.Fprintf(stdout, "compacted %s: %d events; file %s -> %s (%.0f -> %.0f bytes an event; live data %s) in %s\n", c.data, r.Events,
		mb(r.Before.FileBytes), mb(r.After.FileBytes), r.Before.FilePerEvent(), r.After.FilePerEvent(), mb(r.After.Live), r.Took.Round(time.Millisecond))
	if r.Kept != "" {
		fmt.Fprintf(stdout, "the replaced file is kept as %s\n", r.Kept)
	}
	return nil
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

// archiveFlags are serve's daily archiving.
type archiveFlags struct {
	at     int
	r      wms.Retention
	envErr error
}

func (f *archiveFlags) register(fs *flag.FlagSet) {
	at, err := strconv.Atoi(env("ARCHIVE_AT", "3"))
	if err != nil {
		f.envErr = fmt.Errorf("TALLY_ARCHIVE_AT %q: an hour 0-23, or -1", env("ARCHIVE_AT", ""))
	}
	fs.IntVar(&f.at, "archive-at", at, "the warehouse's hour (0-23) to archive finished work once a day; -1: never (TALLY_ARCHIVE_AT)")
	registerRetention(fs, &f.r)
}

func (f *archiveFlags) add(srv *server.Server) error {
	if f.envErr != nil {
		return f.envErr
	}
	if f.at < 0 {
		return nil
	}
	return srv.AddArchiving(server.ArchiveSchedule{Hour: f.at, Retention: f.r})
}

// archiveReport writes a month's archived orders as CSV: one row an order.
// The month is read through once before the first row is written, so a
// damaged or missing member stops the report with nothing written, rather
// than after part of a month that would pass for the whole of it.
func archiveReport(l *wms.Ledger, month string, stdout io.Writer) error {
	if err := l.ArchivedOrders(month, func(wms.ArchivedOrder) error { return nil }); err != nil {
		return fmt.Errorf("archive --report: %w", err)
	}
	w := csv.NewWriter(stdout)
	if err := w.Write([]string{"owner", "order", "state", "channel", "shop", "carrier", "lines", "units", "parcels", "waybills", "received", "finished"}); err != nil {
		return err
	}
	zone := l.Zone()
	err := l.ArchivedOrders(month, func(a wms.ArchivedOrder) error {
		o := a.Order
		var units int64
		for _, line := range o.Lines {
			units += line.Qty
		}
		var waybills []string
		parcels := 0
		if a.Pack != nil {
			parcels = len(a.Pack.Parcels)
			for _, p := range a.Pack.Parcels {
				waybills = append(waybills, p.Waybill)
			}
		}
		return w.Write([]string{o.Owner, o.No, string(o.State), o.Channel, o.Shop, o.Carrier, strconv.Itoa(len(o.Lines)),
			strconv.FormatInt(units, 10), strconv.Itoa(parcels), strings.Join(waybills, " "),
			o.Received.In(zone).Format("2006-01-02 15:04:05"), o.Updated.In(zone).Format("2006-01-02 15:04:05")})
	})
	w.Flush()
	if err != nil {
		return fmt.Errorf("archive --report: %w", err)
	}
	return w.Error()
}
