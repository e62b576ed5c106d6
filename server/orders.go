package server

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"tally/views"
	"tally/wms"
)

// bodyJSON decodes a JSON request body strictly.
func bodyJSON(c *fiber.Ctx, v any) error {
	dec := json.NewDecoder(bytesReader(c.Body()))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return wms.Errf(wms.CodeInvalid, "http.bad_json", "detail", jsonDetail(err, c.Body(), v))
	}
	return nil
}

// apiReceiveOrder is POST /api/v1/orders: idempotent on the owner, the order
// number and its content; with an Idempotency-Key, a retry gets the first
// answer even after the order moved on.
func (s *Server) apiReceiveOrder(c *fiber.Ctx) error {
	var in orderIn
	if err := bodyJSON(c, &in); err != nil {
		return err
	}
	key, err := clientKey(c, "orders:")
	if err != nil {
		return err
	}
	o, dup, err := s.ledger.ReceiveOrder(c.UserContext(), key, in.intake(), principal(c).Actor(), device(c))
	if err != nil {
		return err
	}
	st := fiber.StatusCreated
	if dup {
		st = fiber.StatusOK
	}
	return c.Status(st).JSON(newOrderOut(o))
}

// ownerQuery is the ?owner= of a request: "" when absent (every owner's, or
// the default owner's where one record is meant), refused when the warehouse
// does not work for that owner.
func (s *Server) ownerQuery(c *fiber.Ctx) (string, error) {
	owner := c.Query("owner")
	if owner == "" {
		return "", nil
	}
	return s.ledger.KnownOwner(owner)
}

// orderPath is the order a path's {no} names, in its owner's books: the
// number with ?owner= (the default owner's without one), or a reference
// "OWNER NUMBER" as a wave's answer names an order of another owner.
func (s *Server) orderPath(c *fiber.Ctx) (wms.Books, string, error) {
	no, err := url.PathUnescape(c.Params("no"))
	if err != nil {
		return wms.Books{}, "", wms.Errf(wms.CodeInvalid, "http.bad_request")
	}
	owner, err := s.ownerQuery(c)
	if err != nil {
		return wms.Books{}, "", err
	}
	named, no, err := s.ownerRef(no) // a reference "OWNER NUMBER", as a wave names an order
	if err != nil {
		return wms.Books{}, "", err
	}
	if named != "" {
		if owner != "" && owner != named {
			return wms.Books{}, "", wms.Errf(wms.CodeInvalid, "order.owner_twice", "order", no, "owner", named, "query", owner)
		}
		owner = named
	}
	return s.ledger.Books(owner), no, nil
}

// books are the books of the request's ?owner= (the default owner's without one).
func (s *Server) books(c *fiber.Ctx) (wms.Books, error) {
	owner, err := s.ownerQuery(c)
	return s.ledger.Books(owner), err
}

// apiOrders is GET /api/v1/orders?state=new&owner=…: the orders in a state
// (new when not given), every owner's or one owner's.
func (s *Server) apiOrders(c *fiber.Ctx) error {
	owner, err := s.ownerQuery(c)
	if err != nil {
		return err
	}
	state := wms.OrderState(c.Query("state", string(wms.OrderNew)))
	orders, err := s.ledger.OrdersIn(state, owner, c.QueryInt("limit", 500))
	if err != nil {
		return err
	}
	out := ordersOut{Orders: make([]orderOut, 0, len(orders))}
	for _, o := range orders {
		out.Orders = append(out.Orders, newOrderOut(o))
	}
	return c.JSON(out)
}

// apiOwners is GET /api/v1/owners: the owners (货主) the warehouse works for.
func (s *Server) apiOwners(c *fiber.Ctx) error {
	owners, err := s.ledger.Owners()
	if err != nil {
		return err
	}
	owners[0].Name = views.Translate(lang(c), "owner.default", nil)
	out := ownersOut{Owners: make([]ownerOut, 0, len(owners))}
	for _, o := range owners {
		out.Owners = append(out.Owners, newOwnerOut(o))
	}
	return c.JSON(out)
}

// apiSaveOwner is POST /api/v1/owners {"code": "…", "name": "…"}.
func (s *Server) apiSaveOwner(c *fiber.Ctx) error {
	var in ownerIn
	if err := bodyJSON(c, &in); err != nil {
		return err
	}
	key, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	o, err := s.ledger.SaveOwner(c.UserContext(), "owner:"+key, in.owner(), principal(c).Actor(), device(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(newOwnerOut(o))
}

func (s *Server) apiOrder(c *fiber.Ctx) error {
	books, no, err := s.orderPath(c)
	if err != nil {
		return err
	}
	o, err := books.Order(no)
	if wms.ErrorCode(err) == wms.CodeNotFound {
		return s.apiArchivedOrder(c, books, no, err)
	}
	if err != nil {
		return err
	}
	return c.JSON(newOrderOut(o))
}

// apiCancelOrder is POST /api/v1/orders/{no}/cancel {"reason": "..."}.
func (s *Server) apiCancelOrder(c *fiber.Ctx) error {
	var body cancelIn
	if len(c.Body()) > 0 {
		if err := bodyJSON(c, &body); err != nil {
			return err
		}
	}
	key, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	books, no, err := s.orderPath(c)
	if err != nil {
		return err
	}
	// the key is the client's, whatever order it names: the same key on
	// another order is refused, never taken as a new cancellation
	o, err := books.CancelOrder(c.UserContext(), no, body.Reason, "cancels:"+key, principal(c).Actor(), device(c))
	if err != nil {
		return err
	}
	return c.JSON(newOrderOut(o))
}

// apiReleaseWave is POST /api/v1/waves: which new orders to release.
func (s *Server) apiReleaseWave(c *fiber.Ctx) error {
	var f waveIn
	if err := bodyJSON(c, &f); err != nil {
		return err
	}
	key, err := idempotencyKey(c)
	if err != nil {
		return err
	}
	w, err := s.ledger.ReleaseWave(c.UserContext(), f.filter(), "wave:"+key, principal(c).Actor(), device(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(newWaveOut(w))
}

func (s *Server) apiSKUs(c *fiber.Ctx) error {
	owner, err := s.ownerQuery(c)
	if err != nil {
		return err
	}
	skus, err := s.ledger.SKUs()
	if owner != "" {
		skus, err = s.ledger.Books(owner).SKUs()
	}
	if err != nil {
		return err
	}
	out := make([]skuOut, 0, len(skus))
	for _, k := range skus {
		out = append(out, newSKUOut(k))
	}
	return c.JSON(out)
}

// orderStates are the states the orders list can show, in the floor's order.
var orderStates = []wms.OrderState{wms.OrderNew, wms.OrderAllocated, wms.OrderPicking, wms.OrderPicked, wms.OrderPacked,
	wms.OrderShipped, wms.OrderCancelled}

// orderPage is GET /orders?no=…: an order, where it came from (platform,
// shop, platform orders) and each line's platform sub-order. Without a
// number it lists the orders in a state (?state=, new by default). With
// several owners both take ?owner=; a number two owners share, asked for
// without one, lists both owners' orders to choose from — never the default
// owner's alone. An owner-qualified number (`BEIBEI SO900001`) is that owner's.
func (s *Server) orderPage(c *fiber.Ctx) error {
	vm := views.OrderPage{Page: s.page(c, "order.title"), State: c.Query("state", string(wms.OrderNew))}
	for _, st := range orderStates {
		vm.States = append(vm.States, string(st))
	}
	var err error
	if vm.Owners, err = s.ownerFilter(c); err != nil {
		return s.renderOrderPage(c, vm, err)
	}
	vm.No = strings.TrimSpace(c.Query("no"))
	if vm.No == "" {
		return s.renderOrderPage(c, vm, s.orderList(c, &vm))
	}
	owner, no := vm.Owners.Chosen, vm.No
	if owner == "" { // typed: BEIBEI SO900001
		if owner, no, err = s.ownerRef(vm.No); err != nil {
			return s.renderOrderPage(c, vm, err)
		}
	}
	if owner == "" {
		owners, err := s.ledger.OrderOwners(no)
		if err != nil {
			return err
		}
		if len(owners) == 0 { // not live: the archive's
			if owners, err = s.ledger.ArchivedOrderOwners(no); err != nil {
				return err
			}
		}
		switch len(owners) {
		case 0:
			return s.renderOrderPage(c, vm, wms.Errf(wms.CodeNotFound, "order.not_found", "order", no))
		case 1:
			owner = owners[0]
		default: // a number two owners share: both, to choose from
			vm.Shared = true
			for _, ow := range owners {
				o, _, err := s.orderOrArchived(ow, no)
				if err != nil {
					return err
				}
				vm.List = append(vm.List, s.orderRow(o))
			}
			vm.Feedback = okFeedback("order.which_owner", map[string]string{"order": no, "owners": s.ownerList(c, owners)})
			return s.renderOrderPage(c, vm, nil)
		}
	}
	o, archived, err := s.orderOrArchived(owner, no)
	if err != nil {
		return s.renderOrderPage(c, vm, err)
	}
	v := &views.OrderView{Owner: o.Owner, No: o.No, State: string(o.State), Channel: o.Channel, Platform: o.SourcePlatform(), Shop: o.Shop,
		Carrier: o.Carrier, PlatformOrders: o.PlatformOrderIDs, Held: o.Held, HoldReason: o.HoldReason, Archived: archived}
	books := s.ledger.Books(o.Owner)
	for _, l := range o.Lines {
		line := views.OrderLineView{SKU: l.SKU, Qty: l.Qty, Picked: l.Picked}
		if k, err := books.SKU(l.SKU); err == nil {
			line.Name = k.Name
		}
		switch {
		case len(l.Parts) > 0:
			for _, p := range l.Parts {
				line.Sources = append(line.Sources, views.OrderLineSource{PlatformOrder: p.PlatformOrderID, SubOrder: p.PlatformSubOrderID, Qty: p.Qty})
			}
		case l.PlatformOrderID != "" || l.PlatformSubOrderID != "":
			line.Sources = []views.OrderLineSource{{PlatformOrder: l.PlatformOrderID, SubOrder: l.PlatformSubOrderID}}
		}
		v.Lines = append(v.Lines, line)
	}
	vm.Order = v
	return s.renderOrderPage(c, vm, nil)
}

// orderList fills the list of orders in the page's state (and owner).
func (s *Server) orderList(c *fiber.Ctx, vm *views.OrderPage) error {
	if !slices.Contains(vm.States, vm.State) {
		return wms.Errf(wms.CodeInvalid, "order.state_invalid", "state", vm.State, "states", strings.Join(vm.States, ", "))
	}
	orders, err := s.ledger.OrdersIn(wms.OrderState(vm.State), vm.Owners.Chosen, views.OrderListLimit)
	if err != nil {
		return err
	}
	vm.Listed = true
	for _, o := range orders {
		vm.List = append(vm.List, s.orderRow(o))
	}
	return nil
}

func (s *Server) orderRow(o wms.Order) views.OrderRow {
	return views.OrderRow{Owner: o.Owner, No: o.No, State: string(o.State), Carrier: o.Carrier, Shop: o.Shop, Lines: len(o.Lines),
		Received: o.Received.In(s.ledger.Zone()).Format("01-02 15:04")}
}

// renderOrderPage renders the order page, with a refusal in the answer box.
func (s *Server) renderOrderPage(c *fiber.Ctx, vm views.OrderPage, err error) error {
	st := fiber.StatusOK
	if err != nil {
		vm.Order, vm.List = nil, nil
		vm.Feedback, st = s.outcome(c, err, nil)
	}
	return s.render(c, st, views.OrderScreen(vm))
}
