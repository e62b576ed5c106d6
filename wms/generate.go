package wms

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Generate writes a store of simulated warehouse days, for benchmarks of big
// stores and for sizing a machine: the demo warehouse, then each day the
// floor's work — logins, receipts with lots and expiry dates, orders from
// the demo's channels, waves, single and cluster picks, packs with weights
// and waybills, shipments, returns, cycle counts, a short or an order held
// now and then. Every event goes through the ledger's commands, decided and
// applied as the floor's are (so `tally check` holds and every page reads
// the result); only the clock is the simulation's, so events carry the
// simulated days' times.

// GenerateCommitEvery is how many commands share a commit while
// generating (and how many puts RawCeiling commits at once).
const GenerateCommitEvery = 1000

// generateGCPercent is the garbage collector's GOGC while generating.
const generateGCPercent = 400

// Generator limits: a store beyond them is not a size anyone runs.
const (
	MaxGenerateEvents = 200_000_000
	MaxGenerateDays   = 366
	minDayEvents      = 200 // the least a simulated day is asked for
)

// GenerateOptions describe the store to write.
type GenerateOptions struct {
	Events int    // about how many events in all
	Days   int    // simulated days
	Seed   uint64 // the same seed (and Start) writes the same work
	// Start is the first simulated day (its date); zero means Days before
	// today, so the last simulated day is yesterday.
	Start time.Time
	// Zone is the warehouse's time zone: its days are the simulated days,
	// and the store is for a server in it. Nil means UTC.
	Zone *time.Location
	// Progress gets a line per simulated day; nil: none.
	Progress io.Writer
	// KeepFree is the space the run leaves free on the store's disk: a
	// commit that would find less stops it (the store is whole up to the
	// commit before). Zero: none kept.
	KeepFree uint64

	verify bool // the tests: check what the generator keeps for itself against the ledger's answers
	// diskFree is the disk's free space (tests); nil: the ledger's DiskFree
	diskFree func() (uint64, error)
}

// GenerateResult is what Generate wrote.
type GenerateResult struct {
	Events    uint64 // events in the log
	Orders    int    // orders taken in (the demo's aside)
	Shipped   int
	Days      int
	Elapsed   time.Duration
	FileBytes int64
}

// PerSecond is the events written per second of the run.
func (r GenerateResult) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Events) / r.Elapsed.Seconds()
}

// simClock is the simulation's time, which the ledger reads as its clock.
type simClock struct{ ns atomic.Int64 }

func (c *simClock) now() time.Time       { return time.Unix(0, c.ns.Load()).UTC() }
func (c *simClock) set(t time.Time)      { c.ns.Store(t.UnixNano()) }
func (c *simClock) tick(d time.Duration) { c.ns.Add(int64(d)) }
func (c *simClock) atLeast(t time.Time) {
	if c.now().Before(t) {
		c.set(t)
	}
}

// Generate writes the store into dir, which must be empty or absent.
func Generate(ctx context.Context, dir string, o GenerateOptions) (GenerateResult, error) {
	if o.Days < 1 || o.Days > MaxGenerateDays {
		return GenerateResult{}, Errf(CodeInvalid, "generate.days_range", "max", strconv.Itoa(MaxGenerateDays))
	}
	// a day's logins, receipts and counts alone are a few dozen events
	if least := max(1000, minDayEvents*o.Days); o.Events < least || o.Events > MaxGenerateEvents {
		return GenerateResult{}, Errf(CodeInvalid, "generate.events_range", "min", strconv.Itoa(least), "max", strconv.Itoa(MaxGenerateEvents))
	}
	switch entries, err := os.ReadDir(dir); {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return GenerateResult{}, err
	case len(entries) > 0:
		return GenerateResult{}, Errf(CodeConflict, "generate.dir_not_empty", "dir", dir)
	}
	zone := o.Zone
	if zone == nil {
		zone = time.UTC
	}
	first := o.Start
	if first.IsZero() {
		first = time.Now().In(zone).AddDate(0, 0, -o.Days)
	}
	y, m, d := first.Date()
	start := time.Date(y, m, d, 0, 0, 0, 0, zone)
	clock := &simClock{}
	clock.set(start.Add(7 * time.Hour))
	began := time.Now()
	// The generator's live heap is small (a few tens of MB) and its garbage
	// plentiful: collecting at four times the live heap rather than twice
	// spends far less CPU on the collector for a little more memory.
	defer debug.SetGCPercent(debug.SetGCPercent(generateGCPercent))
	l, err := Open(dir, Options{Now: clock.now, Zone: zone, NoSync: true})
	if err != nil {
		return GenerateResult{}, err
	}
	g := &generator{l: l, ctx: ctx, clock: clock, rng: rand.New(rand.NewPCG(o.Seed, 0x7a11e)), target: uint64(o.Events), progress: o.Progress, verify: o.verify, boxes: map[string]Box{}}
	l.startBulk(GenerateCommitEvery)
	if o.KeepFree > 0 {
		free := o.diskFree
		if free == nil {
			free = l.DiskFree
		}
		l.bulk.beforeCommit = func() error {
			n, err := free()
			if err != nil {
				return err
			}
			if n < o.KeepFree {
				return Errf(CodeUnavailable, "generate.disk_low", "free", gib(n), "keep", gib(o.KeepFree), "dir", dir)
			}
			return nil
		}
	}
	res, err := g.run(start, o.Days)
	if berr := l.endBulk(); err == nil && berr != nil {
		err = berr
	}
	if serr := l.db.Sync(); err == nil && serr != nil {
		err = serr
	}
	if cerr := l.Close(); err == nil && cerr != nil {
		err = cerr
	}
	res.Elapsed = time.Since(began)
	if fi, serr := os.Stat(l.Path()); serr == nil {
		res.FileBytes = fi.Size()
	}
	return res, err
}

// gib is a size in GiB for people.
func gib(n uint64) string { return strconv.FormatFloat(float64(n)/(1<<30), 'f', 1, 64) + " GiB" }

// generator is one simulated warehouse at work.
type generator struct {
	l        *Ledger
	ctx      context.Context
	clock    *simClock
	rng      *rand.Rand
	target   uint64
	progress io.Writer
	// verify checks what the generator keeps for itself (each pick's
	// task, the boxes suggested) against the ledger's answers (the tests)
	verify bool
	boxes  map[string]Box // SuggestBox's answer by the items' SKUs and quantities

	skus      map[string]SKU
	face      map[string]string // SKU → its pick face
	avail     map[string]int64  // units on the faces not yet promised to an order
	orderable []string          // SKUs orders ask for (serial-tracked ones are left to the formula receipts)
	templates []OrderIntake     // the demo's orders: channels, shops, recipients, carriers
	faces     []string

	step    time.Duration // simulated time per command
	day     time.Time
	n       int // a counter for IDs
	orders  int
	shipped int
	held    []heldOrder
	// whether the day has had an order held and a line short yet: each
	// day has one of each at least
	heldToday, shortToday bool
	tote                  int
	waybill               int
	tokens                map[string]string
	sessions              map[string]Principal
	returnable            []string // orders shipped, oldest first
}

// heldOrder is an order the buyer asked to wait for.
type heldOrder struct {
	no     string
	cancel bool // the buyer cancels it rather than let it go
}

func (g *generator) id(kind string) string {
	g.n++
	return fmt.Sprintf("gen-%s-%d", kind, g.n)
}

// tick moves the clock on by one command's time.
func (g *generator) tick() { g.clock.tick(g.step/2 + time.Duration(g.rng.Int64N(int64(g.step)+1))) }

func (g *generator) run(start time.Time, days int) (GenerateResult, error) {
	res := GenerateResult{Days: days}
	if err := g.seed(start); err != nil {
		return res, err
	}
	base, began := g.l.LastSeq(), time.Now()
	perOrder := 10.0 // events an order costs, all told; measured after each day
	for d := range days {
		if err := g.ctx.Err(); err != nil {
			return res, err
		}
		have := g.l.LastSeq()
		if g.orders > 0 {
			perOrder = float64(have-base) / float64(g.orders)
		}
		left := int64(g.target) - int64(have)
		orders := int(float64(left) / float64(days-d) / perOrder)
		if orders < 1 {
			orders = 1
		}
		g.step = max(time.Millisecond, time.Duration(float64(12*time.Hour)/(float64(orders)*perOrder)))
		if err := g.runDay(start.AddDate(0, 0, d), orders); err != nil {
			return res, fmt.Errorf("simulated day %s: %w", start.AddDate(0, 0, d).Format("2006-01-02"), err)
		}
		if g.progress != nil {
			took := time.Since(began)
			fmt.Fprintf(g.progress, "day %d/%d %s: %d orders, %d events in %s (%.0f events/s)\n", d+1, days, start.AddDate(0, 0, d).Format("2006-01-02"),
				orders, g.l.LastSeq(), took.Round(time.Second), float64(g.l.LastSeq())/took.Seconds())
		}
	}
	res.Events, res.Orders, res.Shipped = g.l.LastSeq(), g.orders, g.shipped
	return res, nil
}

// seed loads the demo warehouse and learns its catalogue and faces.
func (g *generator) seed(start time.Time) error {
	if _, err := g.l.SeedDemo(g.ctx); err != nil {
		return err
	}
	skus, _, stock := DemoData(start)
	g.skus, g.face, g.avail = map[string]SKU{}, map[string]string{}, map[string]int64{}
	for _, s := range skus {
		g.skus[s.Code] = s
		if !s.SerialTracked {
			g.orderable = append(g.orderable, s.Code)
		}
	}
	today := start.Format("2006-01-02")
	for _, r := range stock {
		if r.Location[0] == 'R' {
			continue
		}
		if g.face[r.SKU] == "" {
			g.face[r.SKU] = r.Location
			g.faces = append(g.faces, r.Location)
		}
		s := g.skus[r.SKU]
		if ok, _ := Shippable(s, Lot{Expiry: r.Expiry, Status: LotAvailable}, s.MinOutboundLifePct, today); ok {
			g.avail[r.SKU] += r.Qty
		}
	}
	for _, o := range DemoOrders(start) {
		if o.Owner == "" {
			g.templates = append(g.templates, o)
		}
	}
	g.tokens, g.sessions = map[string]string{}, map[string]Principal{}
	return nil
}

func (g *generator) runDay(day time.Time, orders int) error {
	g.day = day
	g.heldToday, g.shortToday = false, false
	g.clock.atLeast(day.Add(7*time.Hour + 50*time.Minute))
	steps := []func() error{g.logins, func() error { return g.loadWaybills(orders) }, func() error { return g.receive(orders) }}
	for _, f := range steps {
		if err := f(); err != nil {
			return err
		}
	}
	const rounds = 12 // an hour each, 08:00 to 20:00
	for r := range rounds {
		g.clock.atLeast(day.Add(time.Duration(8+r) * time.Hour))
		n := orders / rounds
		if r < orders%rounds {
			n++
		}
		for _, f := range []func() error{g.restoreHeld, func() error { return g.intake(n) }, g.releaseWaves, g.pickAll, g.packAndShip} {
			if err := f(); err != nil {
				return err
			}
		}
		if r == rounds/2 {
			if err := g.returns(orders); err != nil {
				return err
			}
		}
	}
	for _, f := range []func() error{g.counts, g.logouts} {
		if err := f(); err != nil {
			return err
		}
	}
	return nil
}

// logins: everyone on the day's shift badges in, one of them after a
// mistyped PIN.
func (g *generator) logins() error {
	mistyped := g.rng.IntN(len(DemoStaff))
	for i, s := range DemoStaff {
		g.tick()
		dev := "pda-" + s.Badge
		if i == mistyped {
			if _, _, err := g.l.Login(g.ctx, s.Badge, "0000", dev); ErrorCode(err) != CodeUnauthorized && err != nil {
				return err
			}
		}
		token, p, err := g.l.Login(g.ctx, s.Badge, s.PIN, dev)
		if err != nil {
			return fmt.Errorf("login %s: %w", s.Badge, err)
		}
		g.tokens[s.Badge], g.sessions[s.Badge] = token, p
	}
	return nil
}

func (g *generator) logouts() error {
	for _, s := range DemoStaff {
		g.tick()
		if err := g.l.Logout(g.ctx, g.tokens[s.Badge], g.sessions[s.Badge], "pda-"+s.Badge); err != nil {
			return fmt.Errorf("logout %s: %w", s.Badge, err)
		}
	}
	return nil
}

var genCarriers = []struct{ account, prefix string }{{"SF", "SF1"}, {"JD", "JDVA"}, {"YT", "YT4"}}

// loadWaybills tops each carrier's pool up each morning to a day and a
// half of its orders over a reserve of a thousand numbers.
func (g *generator) loadWaybills(orders int) error {
	left, err := g.l.WaybillsLeft()
	if err != nil {
		return err
	}
	want := orders/len(genCarriers)*3/2 + 1000
	for _, c := range genCarriers {
		for have := left[c.account]; have < want; {
			n := min(want-have, 2000)
			load := WaybillLoad{Account: c.account}
			for range n {
				g.waybill++
				load.Numbers = append(load.Numbers, fmt.Sprintf("%s%012d", c.prefix, 10_000_000+g.waybill))
			}
			g.tick()
			if _, err := g.l.LoadWaybills(g.ctx, g.id("waybills"), load, "B4001", "web"); err != nil {
				return fmt.Errorf("load waybills: %w", err)
			}
			have += n
		}
	}
	return nil
}

// receive: one receipt per supplier (a product family's zone) brings each
// face running low back to a day and a half of demand, in a fresh lot for
// the SKUs that keep lots; formula comes in too though orders here never
// ask for it (its cans need serials at the pack station).
func (g *generator) receive(orders int) error {
	perSKU := int64(orders*4/len(g.orderable)) + 10
	var lines []LineIn
	for _, code := range slices.Sorted(maps.Keys(g.face)) {
		s := g.skus[code]
		if s.SerialTracked {
			if g.rng.IntN(10) == 0 {
				lines = append(lines, LineIn{SKU: code, Qty: 24})
			}
			continue
		}
		if g.avail[code] < perSKU {
			lines = append(lines, LineIn{SKU: code, Qty: perSKU*3/2 - g.avail[code]})
		}
	}
	for len(lines) > 0 {
		batch := lines[:min(len(lines), 40)]
		lines = lines[len(batch):]
		g.tick()
		receipt := g.id("asn")
		if _, _, err := g.l.ExpectReceipt(g.ctx, "", ReceiptIn{ID: receipt, Supplier: "供应商 " + batch[0].SKU[:5], Lines: batch}, "B3001", "web"); err != nil {
			return fmt.Errorf("expect receipt: %w", err)
		}
		for _, line := range batch {
			s := g.skus[line.SKU]
			p := Receiving{Receipt: receipt, SKU: line.SKU, Qty: line.Qty, Location: g.face[line.SKU]}
			if s.LotTracked {
				made := g.day.AddDate(0, 0, -3-g.rng.IntN(10))
				p.Lot = "G" + made.Format("060102")
				if s.ShelfLifeDays > 0 {
					p.Expiry = made.AddDate(0, 0, s.ShelfLifeDays).Format("2006-01-02")
				}
			}
			g.tick()
			got, err := g.l.Receive(g.ctx, g.id("recv"), p, "B3001", "pda-B3001")
			if err != nil {
				return fmt.Errorf("receive %s: %w", line.SKU, err)
			}
			if !got.Quarantined && !s.SerialTracked {
				g.avail[line.SKU] += line.Qty
			}
		}
		g.tick()
		if _, err := g.l.CloseReceipt(g.ctx, receipt, "B3001", "web"); err != nil {
			return fmt.Errorf("close receipt: %w", err)
		}
	}
	return nil
}

// intake takes n orders in from the platforms, in the demo's mix.
func (g *generator) intake(n int) error {
	for range n {
		t := g.templates[g.rng.IntN(len(g.templates))]
		g.orders++
		o := OrderIntake{No: fmt.Sprintf("GS%s%07d", g.day.Format("060102"), g.orders), Channel: t.Channel, Shop: t.Shop, Recipient: t.Recipient, Carrier: t.Carrier}
		if t.ShipBy != nil {
			due := g.day.Add(18 * time.Hour)
			o.ShipBy, o.Priority = &due, t.Priority
		}
		lines := 1 + g.rng.IntN(3)
		for range 8 { // a few tries for SKUs with units to promise
			if len(o.Lines) == lines {
				break
			}
			code := g.orderable[g.rng.IntN(len(g.orderable))]
			qty := int64(1 + g.rng.IntN(2))
			if g.avail[code] < qty || slices.ContainsFunc(o.Lines, func(l OrderLineIn) bool { return l.SKU == code }) {
				continue
			}
			g.avail[code] -= qty
			o.Lines = append(o.Lines, OrderLineIn{LineIn: LineIn{SKU: code, Qty: qty}})
		}
		if len(o.Lines) == 0 {
			continue // the shelves are bare until the next receipt
		}
		g.tick()
		if _, _, err := g.l.ReceiveOrder(g.ctx, "", o, "oms", "api"); err != nil {
			return fmt.Errorf("order %s: %w", o.No, err)
		}
		// the buyer asks to wait (one order a day at least, a few more at
		// random); the next round lets it go or cancels it
		if first := !g.heldToday; first || g.rng.IntN(400) == 0 {
			g.heldToday = true
			g.tick()
			if _, err := g.l.Books(DefaultOwner).HoldOrder(g.ctx, o.No, true, "买家要求暂缓发货", "", "oms", "api"); err != nil {
				return fmt.Errorf("hold %s: %w", o.No, err)
			}
			g.held = append(g.held, heldOrder{no: o.No, cancel: first || g.rng.IntN(4) == 0})
		}
	}
	return nil
}

func (g *generator) restoreHeld() error {
	for _, h := range g.held {
		no := h.no
		g.tick()
		if h.cancel {
			o, err := g.l.CancelOrder(g.ctx, no, "买家取消", g.id("cancel"), "oms", "api")
			if err != nil {
				return fmt.Errorf("cancel %s: %w", no, err)
			}
			for _, line := range o.Lines {
				g.avail[line.SKU] += line.Qty
			}
			continue
		}
		if _, err := g.l.Books(DefaultOwner).HoldOrder(g.ctx, no, false, "", "", "oms", "api"); err != nil {
			return fmt.Errorf("restore %s: %w", no, err)
		}
	}
	g.held = g.held[:0]
	return nil
}

// releaseWaves: single-line orders go out in cluster tasks of twelve, the
// rest one order a task, until nothing new can be allocated.
func (g *generator) releaseWaves() error {
	for _, f := range []WaveFilter{{Lines: "single", Mode: WaveCluster, ClusterSize: 12, MaxOrders: 240}, {Lines: "multi", Mode: WaveSingle, MaxOrders: 120}} {
		for {
			g.tick()
			// refused when nothing can be allocated: a refusal the shared
			// transaction survives (refusably); a release that finds no new
			// orders is refused before it writes at all
			err := g.l.refusably("wave.nothing_allocated", func() error {
				_, err := g.l.ReleaseWave(g.ctx, f, g.id("wave"), "B4001", "web")
				return err
			})
			if code := ErrorCode(err); code == CodeNotFound || code == CodeConflict {
				break
			}
			if err != nil {
				return fmt.Errorf("release wave: %w", err)
			}
		}
	}
	return nil
}

// pickAll: the pickers take tasks in turn and scan each unit; one line in
// a few hundred is short (the face was empty, the item damaged), and one
// a day at least.
func (g *generator) pickAll() error {
	pickers := []string{"B1001", "B1002", "B1003"}
	for i := 0; ; i++ {
		picker := pickers[i%len(pickers)]
		dev := "pda-" + picker
		g.tick()
		task, err := g.l.NextTask(g.ctx, picker, dev)
		if ErrorCode(err) == CodeNotFound {
			return nil
		}
		if err != nil {
			return fmt.Errorf("next task: %w", err)
		}
		if task.Kind != TaskPick {
			return fmt.Errorf("next task %s is a %s task", task.ID, task.Kind)
		}
		totes := map[string]string{}
		for guard := 0; guard < 10_000; guard++ {
			line, ok := task.NextLine()
			if !ok {
				break
			}
			if totes[line.Order] == "" {
				g.tote++
				totes[line.Order] = fmt.Sprintf("T%06d", g.tote%1_000_000)
			}
			g.tick()
			var raw json.RawMessage
			short := !g.shortToday || g.rng.IntN(300) == 0
			if short {
				g.shortToday = true
				raw, _, err = g.l.ReportShort(g.ctx, g.id("short"), ShortReport{Task: task.ID, Line: line.N, Reason: ShortReasons[g.rng.IntN(2)]}, picker, dev)
			} else {
				item := ScannedItem{GTIN: line.GTINs[0]}
				if line.LotTracked {
					item.Lot = line.Lot
				}
				raw, _, err = g.l.Pick(g.ctx, g.id("pick"), PickScan{Task: task.ID, Line: line.N, Location: line.Location, Items: []ScannedItem{item}, Qty: 1, Tote: totes[line.Order]}, picker, dev)
			}
			if err != nil {
				return fmt.Errorf("pick %s line %d: %w", task.ID, line.N, err)
			}
			if !short && !g.verify {
				// a pick of one unit does that unit of its line: the task
				// the ledger answers is this one with the line's done one
				// up (checked against the answer under verify)
				line.Done++
				continue
			}
			// a short may change more than its line: the task as the ledger answers it
			answered := Task{}
			if err := json.Unmarshal(raw, &answered); err != nil {
				return err
			}
			if !short {
				if line.Done++; !slices.EqualFunc(task.Lines, answered.Lines, func(a, b TaskLine) bool { return reflect.DeepEqual(a, b) }) {
					return fmt.Errorf("pick %s line %d: the generator's lines %+v, the ledger's %+v", task.ID, line.N, task.Lines, answered.Lines)
				}
			}
			task = answered
		}
	}
}

// packAndShip: every picked order is verified at the pack station, lot by
// lot, closed in the box the warehouse suggests at its weight (with a
// waybill from the carrier's pool) and shipped.
func (g *generator) packAndShip() error {
	packers := []string{"B2001", "B2002"}
	for {
		picked, err := g.l.OrdersIn(OrderPicked, DefaultOwner, 500)
		if err != nil || len(picked) == 0 {
			return err
		}
		for i, o := range picked {
			packer := packers[i%len(packers)]
			dev := "kiosk-" + packer
			var items []PackedItem
			weight := 0
			for _, line := range o.Lines {
				s := g.skus[line.SKU]
				for _, a := range line.Allocs {
					if a.Picked == 0 {
						continue
					}
					g.tick()
					if _, err := g.l.PackScan(g.ctx, g.id("pack"), PackScan{Order: o.No, Station: "PACK-01", GTIN: s.GTINs[0], Lot: a.Lot, Qty: a.Picked}, packer, dev); err != nil {
						return fmt.Errorf("pack %s: %w", o.No, err)
					}
					items = append(items, PackedItem{SKU: line.SKU, Lot: a.Lot, Qty: a.Picked})
					weight += s.UnitWeightG * int(a.Picked)
				}
			}
			if len(items) == 0 { // every line short: nothing to send
				g.tick()
				if _, err := g.l.CancelOrder(g.ctx, o.No, "缺货，整单取消", g.id("cancel"), "B4001", "web"); err != nil {
					return fmt.Errorf("cancel %s: %w", o.No, err)
				}
				continue
			}
			box, err := g.suggestBox(items)
			if err != nil {
				return err
			}
			g.tick()
			if _, err := g.l.CloseParcel(g.ctx, g.id("parcel"), ParcelClose{Order: o.No, Station: "PACK-01", Box: box.Code, WeightG: weight + box.TareG}, packer, dev); err != nil {
				return fmt.Errorf("close parcel %s: %w", o.No, err)
			}
			g.tick()
			if _, err := g.l.Ship(g.ctx, "", o.No, "PACK-01", packer, dev); err != nil {
				return fmt.Errorf("ship %s: %w", o.No, err)
			}
			g.shipped++
			g.returnable = append(g.returnable, o.No)
		}
	}
}

// suggestBox is the ledger's SuggestBox, asked once for each set of SKUs
// and their quantities: it reads nothing else (not the lots), it adds up the
// units' volumes and takes the largest sides, which come to the same for a
// SKU's units in one item or in several, and the generator changes neither
// the catalogue nor the boxes.
func (g *generator) suggestBox(items []PackedItem) (Box, error) {
	units := map[string]int64{}
	for _, it := range items {
		units[it.SKU] += it.Qty
	}
	var key strings.Builder
	for _, sku := range slices.Sorted(maps.Keys(units)) {
		fmt.Fprintf(&key, "%s\x00%d\x01", sku, units[sku])
	}
	if b, ok := g.boxes[key.String()]; ok && !g.verify {
		return b, nil
	} else if ok {
		if asked, err := g.l.SuggestBox(items); err != nil || asked != b {
			return b, fmt.Errorf("box for %s: the generator's %+v, the ledger's %+v (%v)", key.String(), b, asked, err)
		}
		return b, nil
	}
	b, err := g.l.SuggestBox(items)
	if err == nil {
		g.boxes[key.String()] = b
	}
	return b, err
}

// returns: about one shipped order in sixty comes back, half of them
// announced by the platform first; most units go back on their face, a
// few are damaged.
func (g *generator) returns(orders int) error {
	n := orders / 60
	if len(g.returnable) < 3*n {
		return nil // the first days' parcels are still on the road
	}
	for range n {
		k := g.rng.IntN(len(g.returnable) - 2*n) // not the last half day or so
		no := g.returnable[k]
		g.returnable = slices.Delete(g.returnable, k, k+1)
		shipped, err := g.l.Shipped(no)
		if err != nil {
			return err
		}
		g.waybill++
		back := fmt.Sprintf("SF7%012d", g.waybill)
		rma := ""
		if g.rng.IntN(2) == 0 {
			rma = g.id("rma")
			g.tick()
			if _, err := g.l.AnnounceReturn(g.ctx, "", RMA{RMA: rma, Order: no, ReturnWaybill: back, Reason: "七天无理由"}, "oms", "api"); err != nil {
				return fmt.Errorf("announce return %s: %w", no, err)
			}
		}
		p := ReturnParcel{ID: g.id("ret"), Order: no, RMA: rma, ReturnWaybill: back}
		for _, s := range shipped {
			cond := CondResellable
			if g.rng.IntN(8) == 0 {
				cond = CondDamaged
			}
			p.Lines = append(p.Lines, ReturnLine{SKU: s.SKU, Lot: s.Lot, Qty: s.Shipped, Condition: cond})
		}
		g.tick()
		got, err := g.l.ReceiveReturn(g.ctx, p, "B3001", "pda-B3001")
		if err != nil {
			return fmt.Errorf("receive return %s: %w", no, err)
		}
		for i, line := range got.Lines {
			if line.Condition != CondResellable || line.Why != "" || line.Location == "" {
				continue
			}
			g.tick()
			if _, err := g.l.PutBackReturn(g.ctx, got.ID, i, g.face[line.SKU], "B3001", "pda-B3001"); err != nil {
				return fmt.Errorf("put back return %s: %w", got.ID, err)
			}
			g.avail[line.SKU] += line.Qty
		}
	}
	if keep := 10 * orders; len(g.returnable) > keep { // returns come within a fortnight or so
		g.returnable = append(g.returnable[:0], g.returnable[len(g.returnable)-keep:]...)
	}
	return nil
}

// counts: a supervisor asks for a few faces to be counted at the end of
// the day; the counter finds the books right, or now and then one unit
// missing (a small variance the count adjusts at once).
func (g *generator) counts() error {
	for range 4 {
		loc := g.faces[g.rng.IntN(len(g.faces))]
		id := g.id("count")
		g.tick()
		if err := g.l.RequestCounts(g.ctx, id, CountRequest{Locations: []string{loc}, Reason: "cycle"}, "B4001", "web"); err != nil {
			return fmt.Errorf("request count: %w", err)
		}
		ev, err := g.l.EventByID(id)
		if err != nil {
			return err
		}
		lines, err := g.l.StockAt(loc)
		if err != nil {
			return err
		}
		var rows []StockRow
		for _, s := range lines {
			rows = append(rows, StockRow{SKU: s.SKU, Lot: s.Lot, Expiry: s.Expiry, Location: loc, Qty: s.Qty})
		}
		if len(rows) > 0 && rows[0].Qty > 0 && g.rng.IntN(5) == 0 {
			rows[0].Qty--
			if !g.skus[rows[0].SKU].SerialTracked {
				g.avail[rows[0].SKU]--
			}
		}
		g.tick()
		if _, err := g.l.SubmitCount(g.ctx, g.id("counted"), CountSubmit{Task: "C" + strconv.FormatUint(ev.Seq, 10) + "-1", Location: loc, Lines: rows}, "B1003", "pda-B1003"); err != nil {
			return fmt.Errorf("count %s: %w", loc, err)
		}
	}
	return nil
}

// ceilingEvents is how many of the log's events RawCeiling puts at most:
// enough to time bbolt steadily, and a copy of a 10,000,000-event log's
// bytes would take gigabytes of disk beside the store for nothing.
const ceilingEvents = 1_000_000

// RawCeiling is what bbolt alone does with the bytes of dir's log: each
// event's stored bytes put under its sequence key into a new file in
// scratch, without fsync and GenerateCommitEvery to a commit, as Generate
// commits — the first ceilingEvents events of the log at most. It is the
// ceiling Generate's speed is measured against, in the same run.
func RawCeiling(dir, scratch string) (eventsPerSec float64, err error) {
	src, err := bolt.Open(filepath.Join(dir, dbFile), 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		return 0, err
	}
	defer src.Close()
	f, err := os.CreateTemp(scratch, "raw-ceiling-*.db")
	if err != nil {
		return 0, err
	}
	path := f.Name()
	f.Close()
	defer os.Remove(path)
	dst, err := bolt.Open(path, 0o600, &bolt.Options{NoSync: true, InitialMmapSize: 256 << 20})
	if err != nil {
		return 0, err
	}
	defer dst.Close()
	if err := dst.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket(bucketEvents); return err }); err != nil {
		return 0, err
	}
	var took time.Duration
	n := 0
	err = src.View(func(stx *bolt.Tx) error {
		c := stx.Bucket(bucketEvents).Cursor()
		k, v := c.First()
		for k != nil && n < ceilingEvents {
			var batch [][2][]byte // read before the clock starts
			for ; k != nil && len(batch) < GenerateCommitEvery; k, v = c.Next() {
				batch = append(batch, [2][]byte{k, v})
			}
			began := time.Now()
			if err := dst.Update(func(tx *bolt.Tx) error {
				b := tx.Bucket(bucketEvents)
				for _, kv := range batch {
					if err := b.Put(kv[0], kv[1]); err != nil {
						return err
					}
				}
				return nil
			}); err != nil {
				return err
			}
			took += time.Since(began)
			n += len(batch)
		}
		return nil
	})
	if err != nil || took <= 0 {
		return 0, err
	}
	if err := dst.Sync(); err != nil {
		return 0, err
	}
	return float64(n) / took.Seconds(), nil
}
