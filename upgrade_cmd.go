package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"tally/views"
	"tally/wms"
)

// upgradeCmd ends an upgrade that built the new version's projections as a
// standby of the old (README, Upgrading): with both stopped, it takes the
// events the standby had not read yet from the old store's file (read-only)
// and promotes the standby, which then starts as the primary.
func upgradeCmd(ctx context.Context, args []string, stdout io.Writer) error {
	var from string
	l, _, c, err := openWith("upgrade", args, func(fs *flag.FlagSet, _ *common) {
		fs.StringVar(&from, "from", "", "the old version's data directory (required; its server stopped; read, never changed)")
	})
	if errors.Is(err, wms.ErrLocked) {
		return fmt.Errorf("%w: stop the new version's standby too, then run tally upgrade again", err)
	}
	if err != nil {
		return err
	}
	defer l.Close()
	if from == "" {
		return errors.New("upgrade: --from DIR (the old version's data directory) is required")
	}
	start := time.Now()
	r, err := l.CatchUpFrom(ctx, from)
	if err != nil {
		if e, ok := wms.AsError(err); ok {
			return fmt.Errorf("upgrade: %s", views.Translate(views.LangEN, e.Key, e.Args))
		}
		return fmt.Errorf("upgrade: %w", err)
	}
	fmt.Fprintf(stdout, "upgraded: %s took %d events from %s (up to event %d) and is the primary now, epoch %d (%s); start this version on %s; %s is left as it was\n",
		c.data, r.Taken, from, r.LastSeq, r.Promoted.Epoch, time.Since(start).Round(time.Millisecond), c.data, from)
	return nil
}
