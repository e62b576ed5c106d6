package loadgen

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// sku is an item of GET /api/v1/skus.
type sku struct {
	Code          string   `json:"code"`
	Name          string   `json:"name"`
	GTINs         []string `json:"gtins"`
	LotTracked    bool     `json:"lot_tracked"`
	SerialTracked bool     `json:"serial_tracked"`
}

// stockLine is a line of GET /api/v1/stock.
type stockLine struct {
	SKU      string `json:"sku"`
	Lot      string `json:"lot"`
	Expiry   string `json:"expiry"`
	Status   string `json:"status"`
	Location string `json:"location"`
	Kind     string `json:"kind"`
	Qty      int64  `json:"qty"`
}

// setup readies the server for the run; nothing in it is measured.
func (r *runner) setup(ctx context.Context) error {
	began := time.Now()
	if _, err := r.c.do(ctx, request{method: http.MethodGet, path: "/healthz"}); err != nil {
		if statusOf(err) == 0 {
			return fmt.Errorf("loadgen: server unreachable at %s: %w", r.c.base, err)
		}
		return fmt.Errorf("loadgen: server not healthy: %w", err)
	}
	var all []sku
	if err := r.c.getJSON(ctx, "/api/v1/skus", "", &all); err != nil {
		switch statusOf(err) {
		case http.StatusUnauthorized:
			return fmt.Errorf("loadgen: the token was refused: %w", err)
		case http.StatusForbidden:
			return fmt.Errorf("loadgen: the token may not read SKUs: %w", err)
		case http.StatusNotFound:
			return fmt.Errorf("loadgen: the server has no SKU API (too old?): %w", err)
		}
		return fmt.Errorf("loadgen: list SKUs: %w", err)
	}
	if err := r.chooseSKUs(ctx, all); err != nil {
		return err
	}
	if err := r.topUp(ctx); err != nil {
		return err
	}
	n := r.cfg.Backlog
	r.logf("setup: creating and waving a backlog of %d orders", n)
	if made, errs := r.createOrders(ctx, n); made < n {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fmt.Errorf("loadgen: create orders (%d of %d made): %w", made, n, errors.Join(errs[:min(len(errs), 3)]...))
	}
	tasks, waves, err := r.releaseWaves(ctx)
	if err != nil {
		return fmt.Errorf("loadgen: release waves: %w", err)
	}
	if tasks == 0 {
		return errors.New("loadgen: the waves released no pick tasks")
	}
	r.feeder.released.Add(int64(tasks))
	r.logf("setup took %s: %d SKUs topped up at %d places, %d orders in %d wave(s) as %d tasks; run LG-%s; %d PDAs for %s",
		time.Since(began).Round(time.Millisecond), len(r.skus), r.places(), n, waves, tasks, r.run, r.cfg.PDAs, r.cfg.Duration)
	return nil
}

func (r *runner) places() int {
	n := 0
	for _, s := range r.skus {
		n += len(s.Lines)
	}
	return n
}

// chooseSKUs picks up to wantSKUs SKUs that can be scanned (a GTIN, no serial
// numbers) and whose pickable stock never expires within minExpiry. Lot
// tracked and plain SKUs alternate, so both kinds of scan are exercised.
func (r *runner) chooseSKUs(ctx context.Context, all []sku) error {
	var lots, plain []sku
	for _, s := range all {
		if s.SerialTracked || len(s.GTINs) == 0 || len(s.GTINs[0]) != 14 {
			continue
		}
		if s.LotTracked {
			lots = append(lots, s)
		} else {
			plain = append(plain, s)
		}
	}
	var cands []sku
	for i := 0; i < len(lots) || i < len(plain); i++ {
		if i < len(lots) {
			cands = append(cands, lots[i])
		}
		if i < len(plain) {
			cands = append(cands, plain[i])
		}
	}
	if len(cands) == 0 {
		return fmt.Errorf("loadgen: none of the %d SKUs can be scanned (no GTIN, or serial tracked)", len(all))
	}
	cutoff := time.Now().Add(minExpiry).Format("2006-01-02")
	locs := map[string]bool{}
	for start := 0; start < len(cands) && len(r.skus) < wantSKUs; start += stockWorkers {
		batch := cands[start:min(start+stockWorkers, len(cands))]
		found := make([]*skuStock, len(batch))
		errs := make([]error, len(batch))
		var wg sync.WaitGroup
		for i, s := range batch {
			wg.Add(1)
			go func() {
				defer wg.Done()
				found[i], errs[i] = r.usable(ctx, s, cutoff)
			}()
		}
		wg.Wait()
		for i := range batch {
			if errs[i] != nil {
				return fmt.Errorf("loadgen: stock of %s: %w", batch[i].Code, errs[i])
			}
			if found[i] != nil && len(r.skus) < wantSKUs {
				r.skus = append(r.skus, *found[i])
				for _, l := range found[i].Lines {
					if !locs[l.Location] {
						locs[l.Location] = true
						r.locations = append(r.locations, l.Location)
					}
				}
			}
		}
	}
	if len(r.skus) == 0 {
		return fmt.Errorf("loadgen: no usable SKU: each has no pickable stock or stock expiring before %s", cutoff)
	}
	if len(r.skus) < 50 {
		r.logf("only %d usable SKUs (wanted %d)", len(r.skus), wantSKUs)
	}
	return nil
}

// usable returns the SKU with its pickable places, or nil when it should not be used.
func (r *runner) usable(ctx context.Context, s sku, cutoff string) (*skuStock, error) {
	var st struct {
		Lines []stockLine `json:"lines"`
	}
	if err := r.c.getJSON(ctx, "/api/v1/stock?sku="+url.QueryEscape(s.Code), "", &st); err != nil {
		if statusOf(err) == http.StatusNotFound {
			return nil, nil
		}
		return nil, err
	}
	out := &skuStock{Code: s.Code, GTINs: s.GTINs, LotTracked: s.LotTracked}
	for _, l := range st.Lines {
		if l.Status != "available" || (l.Kind != "pick" && l.Kind != "reserve") {
			continue // never allocated
		}
		if l.Expiry != "" && l.Expiry < cutoff {
			return nil, nil // it would be allocated first, and may fall foul of shelf-life rules
		}
		if s.LotTracked && l.Lot == "" {
			return nil, nil
		}
		out.Lines = append(out.Lines, l)
	}
	if len(out.Lines) == 0 {
		return nil, nil
	}
	return out, nil
}

// topUp sets the stock of every chosen place to topUpQty.
func (r *runner) topUp(ctx context.Context) error {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write([]string{"sku", "lot", "expiry", "location", "qty"})
	for _, s := range r.skus {
		for _, l := range s.Lines {
			_ = w.Write([]string{s.Code, l.Lot, l.Expiry, l.Location, strconv.Itoa(topUpQty)})
		}
	}
	w.Flush()
	_, err := r.c.do(ctx, request{method: http.MethodPost, path: "/api/v1/import/stock?name=loadgen-topup.csv", auth: true,
		idemKey: uuid.NewString(), contentType: "text/csv; charset=utf-8", body: buf.Bytes()})
	switch statusOf(err) {
	case 0:
		if err != nil {
			return fmt.Errorf("loadgen: top up stock: %w", err)
		}
		return nil
	case http.StatusForbidden:
		return fmt.Errorf("loadgen: the token needs role admin to import stock: %w", err)
	}
	return fmt.Errorf("loadgen: top up stock: %w", err)
}

// orderIn is the body of POST /api/v1/orders.
type orderIn struct {
	No        string    `json:"no"`
	Channel   string    `json:"channel"`
	Recipient recipient `json:"recipient"`
	Lines     []lineIn  `json:"lines"`
	Priority  int       `json:"priority"`
	Carrier   string    `json:"carrier"`
}

type recipient struct {
	Name    string `json:"name"`
	Phone   string `json:"phone"`
	Address string `json:"address"`
}

type lineIn struct {
	SKU string `json:"sku"`
	Qty int64  `json:"qty"`
}

// newOrder makes an order of 1–3 lines of distinct chosen SKUs, 1–3 units each.
func (r *runner) newOrder() orderIn {
	o := orderIn{
		No:        fmt.Sprintf("LG-%s-%d", r.run, r.orderSeq.Add(1)),
		Channel:   "own",
		Recipient: recipient{Name: "测试", Phone: "13800000000", Address: "上海市浦东新区测试路1号"},
		Carrier:   "SF",
	}
	lines := min(1+rand.IntN(3), len(r.skus))
	for _, i := range rand.Perm(len(r.skus))[:lines] {
		o.Lines = append(o.Lines, lineIn{SKU: r.skus[i].Code, Qty: int64(1 + rand.IntN(3))})
	}
	return o
}

// createOrders creates n orders with a few requests in parallel. It returns
// how many were made and the errors of those that were not.
func (r *runner) createOrders(ctx context.Context, n int) (int, []error) {
	var made atomic.Int64
	var mu sync.Mutex
	var errs []error
	next := make(chan orderIn)
	var wg sync.WaitGroup
	for range min(orderWorkers, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range next {
				if err := r.c.postJSON(ctx, "/api/v1/orders", "", "", o, nil); err != nil {
					if ctx.Err() == nil {
						mu.Lock()
						errs = append(errs, err)
						mu.Unlock()
					}
					continue
				}
				made.Add(1)
			}
		}()
	}
feed:
	for range n {
		select {
		case next <- r.newOrder():
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	return int(made.Load()), errs
}

// wave is the answer to POST /api/v1/waves.
type wave struct {
	ID      string   `json:"id"`
	Orders  []string `json:"orders"`
	Waiting []string `json:"waiting"`
	Tasks   []string `json:"tasks"`
}

// releaseWaves releases the new orders in single-order waves until none is
// left. It returns the number of tasks and waves made.
func (r *runner) releaseWaves(ctx context.Context) (tasks, waves int, err error) {
	for range 1000 {
		var w wave
		err := r.c.postJSON(ctx, "/api/v1/waves", "", uuid.NewString(),
			map[string]any{"mode": "single", "max_orders": maxWaveOrders}, &w)
		if statusOf(err) == http.StatusNotFound {
			return tasks, waves, nil // no new orders
		}
		if err != nil {
			return tasks, waves, err
		}
		tasks += len(w.Tasks)
		waves++
		if len(w.Orders)+len(w.Waiting) < maxWaveOrders || len(w.Orders) == 0 {
			return tasks, waves, nil
		}
	}
	return tasks, waves, nil
}
