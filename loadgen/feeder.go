package loadgen

import (
	"context"
	"sync/atomic"
	"time"
)

// feeder keeps pick tasks available: it is the only goroutine that creates
// orders and releases waves while measuring, so the handhelds never crowd
// /waves. It keeps about feederLookahead of work released ahead of the pace
// at which the handhelds start tasks, and adds a batch at once when a
// handheld found nothing to do since the last batch.
type feeder struct {
	r        *runner
	poke     chan struct{}
	released atomic.Int64 // pick tasks released in waves
}

func newFeeder(r *runner) *feeder {
	return &feeder{r: r, poke: make(chan struct{}, 1)}
}

// nudge tells the feeder a handheld found no task. It never blocks.
func (f *feeder) nudge() {
	select {
	case f.poke <- struct{}{}:
	default:
	}
}

func (f *feeder) run(ctx context.Context) {
	r := f.r
	pdas := r.cfg.PDAs
	tick := time.NewTicker(feederTick)
	defer tick.Stop()
	rate := 0.0 // tasks started per second, smoothed
	lastStarted, lastAt := r.cnt.tasks.Load(), time.Now()
	idleSeen := r.cnt.idle.Load()
	for {
		forced := false
		select {
		case <-ctx.Done():
			return
		case <-f.poke:
			forced = r.cnt.idle.Load() > idleSeen
		case <-tick.C:
		}
		now := time.Now()
		started := r.cnt.tasks.Load()
		if dt := now.Sub(lastAt).Seconds(); dt >= 0.05 {
			inst := float64(started-lastStarted) / dt
			rate = 0.7*rate + 0.3*inst
			lastStarted, lastAt = started, now
		}
		ahead := int(rate * feederLookahead.Seconds())
		backlog := int(f.released.Load() - started)
		if !forced && backlog >= max(pdas, ahead/2) {
			continue
		}
		batch := min(max(2*pdas, ahead-max(backlog, 0)), maxBatch)
		made, errs := r.createOrders(ctx, batch)
		r.cnt.orders.Add(int64(made))
		for _, err := range errs {
			r.cnt.fail("POST /api/v1/orders", err)
		}
		if made > 0 && ctx.Err() == nil {
			tasks, waves, err := r.releaseWaves(ctx)
			f.released.Add(int64(tasks))
			r.cnt.waves.Add(int64(waves))
			if err != nil && ctx.Err() == nil {
				r.cnt.fail("POST /api/v1/waves", err)
			}
		}
		idleSeen = r.cnt.idle.Load()
	}
}
