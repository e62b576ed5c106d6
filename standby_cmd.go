package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"tally/standby"
	"tally/views"
	"tally/wms"
)

// standbyStart makes the store a standby of primary when --follow is given
// and returns its follower; without --follow it refuses a store that is a
// standby (only a promotion makes one a primary, never a restart).
func standbyStart(l *wms.Ledger, primary, token string, demo, hub bool, log *slog.Logger) (*standby.Follower, error) {
	if primary == "" {
		if was, ok := l.Following(); ok {
			return nil, fmt.Errorf("this store is the standby of %s: start it with --follow %s (and TALLY_FOLLOW_TOKEN), or make it the primary with `tally promote --data DIR` first", was, was)
		}
		return nil, nil
	}
	switch {
	case demo:
		return nil, errors.New("--follow and --demo: a standby holds the primary's data only")
	case hub:
		return nil, errors.New("--follow and --hub: a standby does not talk to the hub; start it with --hub after promoting it")
	}
	f, err := standby.New(l, standby.Options{Primary: primary, Token: token, Log: log.With("job", "standby")})
	if err != nil {
		return nil, err
	}
	if err := l.Follow(primary); err != nil {
		if e, ok := wms.AsError(err); ok {
			return nil, errors.New(views.Translate(views.LangEN, e.Key, e.Args))
		}
		return nil, err
	}
	// the first page before the server starts: the primary's store secret
	// (the pages' form tokens) with it; a primary out of reach now is
	// retried by the follower's job
	primeCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := f.Prime(primeCtx); err != nil {
		log.Warn("standby: the primary did not answer at start; following from the job", "primary", primary, "err", err)
	}
	log.Info("standby: following the primary", "primary", primary, "applied_seq", l.LastSeq())
	return f, nil
}

// promoteCmd makes a stopped standby the primary; a running one is
// promoted with POST /api/v1/standby/promote (admin).
func promoteCmd(ctx context.Context, args []string, stdout io.Writer) error {
	l, _, c, err := openWith("promote", args, nil)
	if errors.Is(err, wms.ErrLocked) {
		return fmt.Errorf("%w; a running standby is promoted with POST /api/v1/standby/promote (role admin)", err)
	}
	if err != nil {
		return err
	}
	defer l.Close()
	p, err := l.Promote(ctx, "cli", "cli")
	if err != nil {
		if e, ok := wms.AsError(err); ok {
			return errors.New(views.Translate(views.LangEN, e.Key, e.Args))
		}
		return err
	}
	fmt.Fprintf(stdout, "promoted: %s is the primary now, epoch %d, after event %d of %s; start it without --follow\n", c.data, p.Epoch, p.LastSeq, p.Primary)
	return nil
}
