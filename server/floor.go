package server

import (
	"slices"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/views"
	"tally/wms"
)

// floorPage is the supervisor's view: what waits, what is being picked, and
// the form to release a wave.
func (s *Server) floorPage(c *fiber.Ctx) error {
	vm, err := s.floorModel(c)
	if err != nil {
		return err
	}
	return s.render(c, fiber.StatusOK, views.Floor(vm))
}

func (s *Server) floorModel(c *fiber.Ctx) (views.FloorPage, error) {
	vm := views.FloorPage{Page: s.page(c, "floor.title")}
	var err error
	if vm.Owners, err = s.ownerFilter(c); err != nil {
		return vm, err
	}
	owner := vm.Owners.Chosen
	news, err := s.ledger.OrderBriefs(wms.OrderNew)
	if err != nil {
		return vm, err
	}
	byCarrier := map[string]int{}
	for _, o := range news {
		if owner == "" || o.Owner == owner {
			byCarrier[o.Carrier]++
			vm.NewOrders++
		}
	}
	for carrier, n := range byCarrier {
		vm.NewByCarrier = append(vm.NewByCarrier, views.Count{Name: carrier, N: n})
	}
	sortCounts(vm.NewByCarrier)
	name := s.people()
	for _, st := range []wms.TaskState{wms.TaskActive, wms.TaskOpen} {
		tasks, err := s.ledger.TasksIn(st, 200)
		if err != nil {
			return vm, err
		}
		for _, t := range tasks {
			owners := taskOwners(t)
			if owner != "" && !slices.Contains(owners, owner) {
				continue
			}
			var open, total int64
			for _, l := range t.Lines {
				open += l.Open()
				total += l.Qty
			}
			vm.Tasks = append(vm.Tasks, views.TaskRow{ID: t.ID, Kind: "taskkind." + string(t.Kind), State: "taskstate." + string(t.State),
				Actor: name(t.Actor), Orders: len(t.Orders), Open: open, Total: total, Location: t.Location, Owners: owners})
		}
	}
	settings, err := s.ledger.Settings()
	if err != nil {
		return vm, err
	}
	vm.AutoWave = settings.AutoWave.Enabled
	vm.PartialShip = settings.Partial == wms.PartialShip
	// each person's figures today: every owner's, or the chosen owner's part
	kpis, err := s.ledger.KPIs(s.ledger.Today())
	if owner != "" {
		kpis, err = s.ledger.OwnerKPIs(s.ledger.Today(), owner)
	}
	if err != nil {
		return vm, err
	}
	for actor, k := range kpis {
		vm.KPIs = append(vm.KPIs, views.KPIRow{Actor: name(actor), Picks: k.Picks, Units: k.Units, Lines: k.Lines, Errors: k.Errors, Shorts: k.Shorts})
	}
	sortKPIs(vm.KPIs)
	return vm, nil
}

// taskOwners are the owners whose orders or goods a task is about, by code
// (a wave may mix owners; a count task is about no one's in particular).
func taskOwners(t wms.Task) []string {
	var out []string
	add := func(o string) {
		o = wms.OwnerOr(o)
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	for _, o := range t.Orders {
		add(o.Owner)
	}
	for _, l := range t.Lines {
		if l.Order != "" || l.SKU != "" {
			add(l.Owner)
		}
	}
	slices.Sort(out)
	return out
}

// releaseWavePage releases a wave from the floor page's form.
func (s *Server) releaseWavePage(c *fiber.Ctx) error {
	f := wms.WaveFilter{Carrier: c.FormValue("carrier"), Lines: c.FormValue("lines"), Mode: wms.WaveMode(c.FormValue("mode"))}
	var err error
	if f.ClusterSize, err = formInt(c, "cluster_size", 4); err == nil {
		f.MaxOrders, err = formInt(c, "max_orders", 50)
	}
	var hours int
	if err == nil {
		hours, err = formInt(c, "due_hours", 0)
	}
	if err == nil && hours > 0 {
		due := s.ledger.Now().Add(time.Duration(hours) * time.Hour)
		f.DueBy = &due
	}
	if err == nil {
		// the page filtered to one owner releases that owner's orders only
		f.Owner, err = s.ownerQuery(c)
	}
	var w wms.Wave
	if err == nil {
		key := formKey(c)
		w, err = s.ledger.ReleaseWave(c.UserContext(), f, "wave:"+key, principal(c).Actor(), device(c))
	}
	vm, merr := s.floorModel(c)
	if merr != nil {
		return merr
	}
	if err != nil {
		e := s.asDomain(c, err)
		vm.Feedback = errorFeedback(e)
		return s.render(c, status(e.Code), views.Floor(vm))
	}
	vm.Feedback = okFeedback("wave.released", map[string]string{"wave": w.ID, "orders": strconv.Itoa(len(w.Orders)),
		"tasks": strconv.Itoa(len(w.Tasks)), "waiting": strconv.Itoa(len(w.Waiting))})
	return s.render(c, fiber.StatusOK, views.Floor(vm))
}

func (s *Server) autoWaveSettings(c *fiber.Ctx) error {
	settings, err := s.ledger.Settings()
	if err != nil {
		return err
	}
	settings.AutoWave.Enabled = c.FormValue("auto_wave") == "on"
	settings.Partial = wms.PartialWait
	if c.FormValue("partial_ship") == "on" {
		settings.Partial = wms.PartialShip
	}
	if _, err := s.ledger.ChangeSettings(c.UserContext(), "settings:"+formKey(c), settings, principal(c).Actor(), device(c)); err != nil {
		return err
	}
	return c.Redirect("/floor", fiber.StatusSeeOther)
}

func formInt(c *fiber.Ctx, name string, def int) (int, error) {
	v := c.FormValue(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, wms.Errf(wms.CodeInvalid, "form.not_number", "field", name, "value", v)
	}
	return n, nil
}
