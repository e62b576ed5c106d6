package server

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"tally/wms"
)

// POST /api/v1/orders:batch takes up to wms.MaxBatchOrders orders in one
// request and answers each on its own, in the order sent: a burst from the
// OMS costs one commit, not one per order (wms/orders_batch.go).

// maxBatchBytes bounds a batch's body: 1,000 orders of a few dozen lines
// each fit with room to spare.
const maxBatchBytes = 16 << 20

// ordersBatchIn is the body of POST /api/v1/orders:batch: each order is
// read on its own (readBatchOrder), so one of the wrong shape is refused
// alone.
type ordersBatchIn struct {
	Orders []json.RawMessage `json:"orders"`
}

// ordersBatchOut answers it: each order's answer, in the order sent, and
// the counts.
type ordersBatchOut struct {
	Orders     []batchItemOut `json:"orders"`
	Created    int            `json:"created"`
	Duplicates int            `json:"duplicates"`
	Refused    int            `json:"refused"`
}

// batchItemOut is one order's answer: created, duplicate (the same order
// and content again; nothing changed) or refused (error says why).
type batchItemOut struct {
	Owner  string    `json:"owner"`
	No     string    `json:"no"`
	Result string    `json:"result"`
	State  string    `json:"state,omitempty"`
	Error  *apiError `json:"error,omitempty"`
}

// apiReceiveOrders is POST /api/v1/orders:batch. With an Idempotency-Key, a
// retry gets the first answer whatever changed since; the key with another
// batch (or used for one order) is refused. A batch over its limits is
// refused whole with 413, and nothing is stored.
func (s *Server) apiReceiveOrders(c *fiber.Ctx) error {
	if len(c.Body()) > maxBatchBytes {
		return c.Status(fiber.StatusRequestEntityTooLarge).JSON(newAPIError(lang(c),
			wms.Errf(wms.CodeInvalid, "orders.batch_too_large", "max", strconv.Itoa(maxBatchBytes>>20))))
	}
	var in ordersBatchIn
	if err := bodyJSON(c, &in); err != nil {
		return err
	}
	if len(in.Orders) > wms.MaxBatchOrders {
		return c.Status(fiber.StatusRequestEntityTooLarge).JSON(newAPIError(lang(c),
			wms.Errf(wms.CodeInvalid, "orders.batch_too_many", "n", strconv.Itoa(len(in.Orders)), "max", strconv.Itoa(wms.MaxBatchOrders))))
	}
	key, err := clientKey(c, "orders:")
	if err != nil {
		return err
	}
	intakes := make([]wms.OrderIntake, len(in.Orders))
	var unread map[int]wms.UnreadOrder
	for i, raw := range in.Orders {
		o, u, ok := readBatchOrder(raw)
		if !ok {
			if unread == nil {
				unread = map[int]wms.UnreadOrder{}
			}
			unread[i] = u
			continue
		}
		intakes[i] = o.intake()
	}
	res, err := s.ledger.ReceiveOrdersRead(c.UserContext(), key, intakes, unread, principal(c).Actor(), device(c))
	if err != nil {
		return err
	}
	out := ordersBatchOut{Orders: make([]batchItemOut, len(res.Orders)), Created: res.Created, Duplicates: res.Duplicates, Refused: res.Refused}
	for i, it := range res.Orders {
		item := batchItemOut{Owner: it.Owner, No: it.No, Result: it.Result, State: string(it.State)}
		if it.Error != nil {
			e := newAPIError(lang(c), &wms.Error{Code: it.Error.Code, Key: it.Error.Key, Args: it.Error.Args})
			item.Error = &e
		}
		out.Orders[i] = item
	}
	return c.Status(fiber.StatusOK).JSON(out)
}

// readBatchOrder reads one order of a batch as POST /api/v1/orders reads
// its body (no field it does not know); one that does not read is
// answered refused (http.bad_json naming the field), with what could be
// read of its owner and number.
func readBatchOrder(raw json.RawMessage) (orderIn, wms.UnreadOrder, bool) {
	var o orderIn
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(&o)
	if err == nil {
		return o, wms.UnreadOrder{}, true
	}
	var named struct {
		Owner any `json:"owner"`
		No    any `json:"no"`
	}
	_ = json.Unmarshal(raw, &named)
	text := func(v any) string { s, _ := v.(string); return s }
	sum := sha256.Sum256(raw)
	return o, wms.UnreadOrder{Owner: text(named.Owner), No: text(named.No), Digest: hex.EncodeToString(sum[:16]),
		Err: wms.Errf(wms.CodeInvalid, "http.bad_json", "detail", jsonDetail(err, raw, &o))}, false
}
