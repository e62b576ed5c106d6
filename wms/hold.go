package wms

import (
	"context"
	"strconv"
	"strings"
	"time"
)

// An upstream may put an order on hold (a Qimen ERP's order.pending: the
// buyer asked to wait, the address is being checked) and restore it later.
// A held order stays new, but no wave takes it, by hand or by the auto-wave
// rule; an order already in a wave or further on is refused, because its
// units are reserved or picked and stopping it is a cancellation.

// OrderHold holds an order or restores it.
type OrderHold struct {
	Owner  string `json:"owner,omitempty"` // the command moves it to the envelope
	No     string `json:"no"`
	Held   bool   `json:"held"`
	Reason string `json:"reason,omitempty"`
}

// maxHoldReason is the longest reason kept, in characters.
const maxHoldReason = 200

// HoldOrder holds one of the owner's orders (held true) or restores it
// (false). Without a key the event is named by the order and its holds so
// far: holding a held order, or restoring one that is not held, answers
// the order as the hold (or restore) that made it so left it, and appends
// nothing. With a key, a repeat of the key gets its first answer.
func (b Books) HoldOrder(ctx context.Context, no string, held bool, reason, key, actor, device string) (Order, error) {
	no, reason = strings.TrimSpace(no), strings.TrimSpace(reason)
	if !validCode(no) {
		return Order{}, Errf(CodeInvalid, "order.no_invalid", "order", no)
	}
	if reason != "" && !validText(reason) || utf8Len(reason) > maxHoldReason {
		return Order{}, Errf(CodeInvalid, "order.hold_reason_invalid", "order", no)
	}
	natural := key == ""
	if natural {
		o, err := b.Order(no)
		if err != nil {
			return Order{}, err
		}
		key = holdEventID(b.owner, no, held, o)
	}
	p := OrderHold{No: no, Held: held, Reason: reason}
	k := keyed{id: key, typ: EvOrderHeld, target: OrderRef(b.owner, no), actor: actor, request: p, natural: natural}
	return runKeyed(ctx, b.l, k, func() (Event, error) {
		return newOwnedEvent(key, EvOrderHeld, actor, device, b.owner, p)
	}, func(tx *txn, ev *Event) (Order, error) {
		return orderTx(tx, b.owner, no)
	})
}

// holdEventID names a hold or restore by the order's holds: the n-th hold
// is "hold:…:n", the restore after it "restore:…:n". Asking for the state
// the order is in names the event that put it there.
func holdEventID(owner, no string, held bool, o Order) string {
	n := o.Holds
	verb := "restore:"
	if held {
		verb = "hold:"
		if !o.Held {
			n++
		}
	}
	if owner = OwnerOr(owner); owner != DefaultOwner {
		return verb + owner + ":" + no + ":" + strconv.Itoa(n)
	}
	return verb + no + ":" + strconv.Itoa(n)
}

func applyOrderHeld(tx *txn, ev *Event) error {
	var p OrderHold
	if err := decode(ev, &p); err != nil {
		return err
	}
	owner, err := ownerFor(ev, p.Owner)
	if err != nil {
		return err
	}
	o, err := orderTx(tx, owner, p.No)
	if err != nil {
		return err
	}
	if p.Held == o.Held {
		return nil // held again, or restored when not held: nothing changes
	}
	if p.Held && o.State != OrderNew {
		return Errf(CodeConflict, "order.hold_too_late", "order", p.No, "state", string(o.State))
	}
	if p.Held {
		o.Holds++
		o.HoldReason = p.Reason
	} else {
		o.HoldReason = ""
	}
	o.Held, o.Updated = p.Held, ev.At
	return putOrder(tx, &o, o.State)
}

// OrderStep is one step of an order's story: a state it reached, or
// StepHeld / StepRestored.
type OrderStep struct {
	Step string    `json:"step"`
	At   time.Time `json:"at"`
}

// The steps that are not states.
const (
	StepHeld     = "held"
	StepRestored = "restored"
)

// maxSteps bounds an order's story: an order held and restored again and
// again keeps its first step and its latest ones.
const maxSteps = 32

// noteStep adds the steps the order has just taken, if any: a state it
// reached, a hold or a restore.
func (o *Order) noteStep(at time.Time) {
	if len(o.Steps) == 0 || o.lastStep(false) != string(o.State) {
		o.Steps = append(o.Steps, OrderStep{Step: string(o.State), At: at})
	}
	if held := o.lastStep(true) == StepHeld; held != o.Held {
		step := StepRestored
		if o.Held {
			step = StepHeld
		}
		o.Steps = append(o.Steps, OrderStep{Step: step, At: at})
	}
	if len(o.Steps) > maxSteps {
		o.Steps = append(o.Steps[:1], o.Steps[len(o.Steps)-maxSteps+1:]...)
	}
}

// lastStep is the order's last step that is a hold or restore (holds
// true), or a state (false); "" when there is none.
func (o *Order) lastStep(holds bool) string {
	for i := len(o.Steps) - 1; i >= 0; i-- {
		s := o.Steps[i].Step
		if (s == StepHeld || s == StepRestored) == holds {
			return s
		}
	}
	return ""
}
