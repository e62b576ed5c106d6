package server

import (
	"encoding/json"
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
		return wms.Errf(wms.CodeInvalid, "http.bad_json", "detail", err.Error())
	}
	return nil
}

// apiReceiveOrder is POST /api/v1/orders: idempotent on the order number.
func (s *Server) apiReceiveOrder(c *fiber.Ctx) error {
	var in orderIn
	if err := bodyJSON(c, &in); err != nil {
		return err
	}
	o, dup, err := s.ledger.ReceiveOrder(c.UserContext(), in.intake(), principal(c).Actor(), device(c))
	if err != nil {
		return err
	}
	st := fiber.StatusCreated
	if dup {
		st = fiber.StatusOK
	}
	return c.Status(st).JSON(newOrderOut(o))
}

func (s *Server) apiOrder(c *fiber.Ctx) error {
	o, err := s.ledger.Order(c.Params("no"))
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
	o, err := s.ledger.CancelOrder(c.UserContext(), c.Params("no"), body.Reason, "cancel:"+c.Params("no")+":"+key, principal(c).Actor(), device(c))
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
	skus, err := s.ledger.SKUs()
	if err != nil {
		return err
	}
	out := make([]skuOut, 0, len(skus))
	for _, k := range skus {
		out = append(out, newSKUOut(k))
	}
	return c.JSON(out)
}

// orderPage is GET /orders?no=…: an order, where it came from (platform,
// shop, platform orders) and each line's platform sub-order.
func (s *Server) orderPage(c *fiber.Ctx) error {
	vm := views.OrderPage{Page: s.page(c, "order.title")}
	no := strings.TrimSpace(c.Query("no"))
	if no == "" {
		return s.render(c, fiber.StatusOK, views.OrderScreen(vm))
	}
	o, err := s.ledger.Order(no)
	if err != nil {
		var st int
		vm.Feedback, st = s.outcome(c, err, nil)
		return s.render(c, st, views.OrderScreen(vm))
	}
	v := &views.OrderView{No: o.No, State: string(o.State), Channel: o.Channel, Platform: o.SourcePlatform(), Shop: o.Shop,
		Carrier: o.Carrier, PlatformOrders: o.PlatformOrderIDs}
	for _, l := range o.Lines {
		line := views.OrderLineView{SKU: l.SKU, Qty: l.Qty, Picked: l.Picked}
		if k, err := s.ledger.SKU(l.SKU); err == nil {
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
	return s.render(c, fiber.StatusOK, views.OrderScreen(vm))
}
