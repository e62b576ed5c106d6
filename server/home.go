package server

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	"tally/views"
	"tally/wms"
)

// menu lists the home screen's buttons and who sees each. Only what is built
// appears: a button that leads nowhere is a defect on the floor.
var menu = []struct {
	item  views.MenuItem
	roles []wms.Role
}{
	{views.MenuItem{Href: "/pick", Label: "menu.pick", Hint: "menu.pick_hint", TestID: "menu-pick"}, pickers},
	{views.MenuItem{Href: "/pack", Label: "menu.pack", Hint: "menu.pack_hint", TestID: "menu-pack"}, packers},
	{views.MenuItem{Href: "/receive", Label: "menu.receive", Hint: "menu.receive_hint", TestID: "menu-receive"}, receivers},
	{views.MenuItem{Href: "/returns", Label: "menu.returns", Hint: "menu.returns_hint", TestID: "menu-returns"}, receivers},
	{views.MenuItem{Href: "/stock", Label: "menu.stock", Hint: "menu.stock_hint", TestID: "menu-stock"}, anyRole},
	{views.MenuItem{Href: "/move", Label: "menu.move", TestID: "menu-move"}, floorStaff},
	{views.MenuItem{Href: "/count", Label: "menu.count", TestID: "menu-count"}, floorStaff},
	{views.MenuItem{Href: "/expiry", Label: "menu.expiry", TestID: "menu-expiry"}, supervisors},
	{views.MenuItem{Href: "/recall", Label: "menu.recall", TestID: "menu-recall"}, supervisors},
	{views.MenuItem{Href: "/trace", Label: "menu.trace", TestID: "menu-trace"}, supervisors},
	{views.MenuItem{Href: "/orders", Label: "menu.orders", TestID: "menu-orders"}, supervisors},
	{views.MenuItem{Href: "/floor", Label: "menu.floor", TestID: "menu-floor"}, supervisors},
	{views.MenuItem{Href: "/exceptions", Label: "menu.exceptions", TestID: "menu-exceptions"}, supervisors},
	{views.MenuItem{Href: "/floor/live", Label: "menu.live_floor", TestID: "menu-live-floor"}, supervisors},
	{views.MenuItem{Href: "/kpi", Label: "menu.kpi", TestID: "menu-kpi"}, supervisors},
	{views.MenuItem{Href: "/print-jobs", Label: "menu.print_jobs", TestID: "menu-print-jobs"}, supervisors},
	{views.MenuItem{Href: "/sync", Label: "menu.sync", TestID: "menu-sync"}, supervisors},
	{views.MenuItem{Href: "/hub", Label: "menu.hub", TestID: "menu-hub"}, supervisors}, // the hub only
	{views.MenuItem{Href: "/admin/import", Label: "menu.import", TestID: "menu-import"}, adminOnly},
	{views.MenuItem{Href: "/admin/audit", Label: "menu.audit", TestID: "menu-audit"}, supervisors},
	{views.MenuItem{Href: "/pin", Label: "menu.pin", TestID: "menu-pin"}, anyRole},
	{views.MenuItem{Href: "/me", Label: "menu.me", Hint: "menu.me_hint", TestID: "menu-me"}, anyRole},
}

func (s *Server) home(c *fiber.Ctx) error {
	p := principal(c)
	vm := views.HomePage{Page: s.page(c, "home.title")}
	for _, m := range menu {
		if m.item.Href == "/hub" && s.cfg.Hub == nil {
			continue
		}
		if slices.Contains(m.roles, p.Role) {
			vm.Menu = append(vm.Menu, m.item)
		}
	}
	return s.render(c, fiber.StatusOK, views.Home(vm))
}
