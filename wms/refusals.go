package wms

import (
	"context"
	"strings"
	"time"
)

// What an upstream asks for that the warehouse does not do: a change it
// cannot apply (an unknown SKU, a changed resend, a cancellation after the
// order shipped) and a stock instruction a supervisor refused. Each is a
// change.refused event: listed on the sync page, and sent back to the
// upstream that asked (only to it). Stock instructions wait for a person
// (instruction.received); carrying one out is a stock.adjusted naming it.

// ChangeRefusal is one refused change.
type ChangeRefusal struct {
	Upstream   string `json:"upstream"`
	UpstreamID string `json:"upstream_id"` // the upstream's own ID of the change
	ChangeType string `json:"change_type"`
	Code       string `json:"code"`   // e.g. order.already_shipped, sku.not_found, key.changed
	Reason     string `json:"reason"` // in words, for the upstream's people
	Order      string `json:"order,omitempty"`
	// Instruction is set when a supervisor refused a stock instruction.
	Instruction bool      `json:"instruction,omitempty"`
	Owner       string    `json:"owner,omitempty"` // the command moves it to the envelope
	Seq         uint64    `json:"seq,omitempty"`   // set when listed
	At          time.Time `json:"at,omitzero"`     // set when listed
}

// OutChangeRefused tells an upstream that a change it sent was not applied.
type OutChangeRefused struct {
	UpstreamID string `json:"upstream_id"`
	ChangeType string `json:"change_type"`
	Code       string `json:"code"`
	Reason     string `json:"reason"`
	upstream   string
}

func (o OutChangeRefused) targetUpstream() string { return o.upstream }

func outChangeRefused(_ *txn, _ Event, p ChangeRefusal) (OutChangeRefused, bool, error) {
	return OutChangeRefused{UpstreamID: p.UpstreamID, ChangeType: p.ChangeType, Code: p.Code, Reason: p.Reason, upstream: p.Upstream}, true, nil
}

// Limits of what an upstream's change may say.
const (
	MaxChangeID     = 64
	MaxChangeReason = 500
)

func (r *ChangeRefusal) validate() error {
	if r.UpstreamID == "" || len(r.UpstreamID) > MaxChangeID || !printableASCII(r.UpstreamID) {
		return Errf(CodeInvalid, "sync.change_id_invalid", "id", clipText(r.UpstreamID))
	}
	if !validCode(r.ChangeType) || !validCode(r.Code) {
		return Errf(CodeInvalid, "sync.refusal_invalid")
	}
	r.Reason = clipReason(r.Reason)
	return nil
}

// clipReason keeps a reason to MaxChangeReason characters of one line.
func clipReason(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(s, "?"))
	if r := []rune(s); len(r) > MaxChangeReason {
		s = string(r[:MaxChangeReason-1]) + "…"
	}
	return s
}

func applyChangeRefused(tx *txn, ev *Event) error {
	var r ChangeRefusal
	if err := decode(ev, &r); err != nil {
		return err
	}
	if err := r.validate(); err != nil {
		return err
	}
	if err := knownUpstream(tx, r.Upstream); err != nil {
		return err
	}
	owner := OwnerOr(ev.Owner)
	if r.Instruction {
		k := instructionKey(owner, r.Upstream, r.UpstreamID)
		in, err := mustGet[Instruction](tx, bucketInstructions, k, "sync.instruction_not_found", "id", r.UpstreamID)
		if err != nil {
			return err
		}
		if in.State != InstructionOpen {
			return Errf(CodeConflict, "sync.instruction_closed", "id", r.UpstreamID, "state", in.State)
		}
		in.State, in.DecidedBy, in.Decided = InstructionRefused, ev.Actor, ev.At
		if err := putJSON(tx.Bucket(bucketInstructions), k, in); err != nil {
			return err
		}
	}
	r.Owner, r.Seq, r.At = owner, ev.Seq, ev.At
	return putJSON(tx.Bucket(bucketRefusals), append(prefixKey(r.Upstream), seqKey(ev.Seq)...), r)
}

// RefuseChange records a change from an upstream the warehouse does not
// apply. id is the event's ID: the syncer derives it from the upstream and
// the change's ID, so a change pulled twice is refused once.
func (l *Ledger) RefuseChange(ctx context.Context, id string, r ChangeRefusal) (ChangeRefusal, error) {
	if err := r.validate(); err != nil {
		return r, err
	}
	owner, err := l.KnownOwner(r.Owner)
	if err != nil {
		owner = DefaultOwner // a change for an owner the warehouse does not know is refused under the default owner
	}
	r.Owner = ""
	ev, err := newOwnedEvent(id, EvChangeRefused, syncActor(r.Upstream), "syncer", owner, r)
	if err != nil {
		return r, err
	}
	stored, _, err := l.Append(ctx, ev)
	if err != nil {
		return r, err
	}
	err = decode(&stored, &r)
	r.Owner, r.Seq, r.At = OwnerOf(stored), stored.Seq, stored.At
	return r, err
}

// Refusals lists an upstream's refused changes, newest first, at most limit.
func (l *Ledger) Refusals(upstream string, limit int) ([]ChangeRefusal, error) {
	var out []ChangeRefusal
	err := l.view(func(tx *txn) error {
		c := tx.Bucket(bucketRefusals).Cursor()
		p := prefixKey(upstream)
		// seek past the upstream's last key, then walk back
		end := append(prefixKey(upstream), 0xff)
		var k, v []byte
		if next, _ := c.Seek(end); next == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && hasPrefix(k, p) && len(out) < limit; k, v = c.Prev() {
			var r ChangeRefusal
			if err := jsonUnmarshal(v, &r); err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// Instruction states.
const (
	InstructionOpen    = "open"
	InstructionDone    = "done"
	InstructionRefused = "refused"
)

// Instruction is an upstream's request to adjust stock, kept for a supervisor.
type Instruction struct {
	Upstream  string    `json:"upstream"`
	ID        string    `json:"id"` // the upstream's ID of the change
	Owner     string    `json:"owner,omitempty"`
	SKU       string    `json:"sku"`
	Lot       string    `json:"lot,omitempty"`
	Expiry    string    `json:"expiry,omitempty"`
	Location  string    `json:"location,omitempty"`
	Delta     int64     `json:"delta"`
	Reason    string    `json:"reason"`
	State     string    `json:"state"`
	At        time.Time `json:"at,omitzero"`
	DecidedBy string    `json:"decided_by,omitempty"`
	Decided   time.Time `json:"decided,omitzero"`
}

func instructionKey(owner, upstream, id string) []byte { return joinKey(owner, upstream, id) }

func (in *Instruction) validate() error {
	if in.ID == "" || len(in.ID) > MaxChangeID || !printableASCII(in.ID) {
		return Errf(CodeInvalid, "sync.change_id_invalid", "id", clipText(in.ID))
	}
	if !validCode(in.SKU) || (in.Lot != "" && !validCode(in.Lot)) || (in.Location != "" && !validCode(in.Location)) {
		return Errf(CodeInvalid, "sync.instruction_invalid", "id", in.ID)
	}
	if in.Delta == 0 || in.Delta > 1_000_000 || in.Delta < -1_000_000 {
		return Errf(CodeInvalid, "sync.instruction_invalid", "id", in.ID)
	}
	in.Reason = clipReason(in.Reason)
	return nil
}

func applyInstructionReceived(tx *txn, ev *Event) error {
	var in Instruction
	if err := decode(ev, &in); err != nil {
		return err
	}
	if err := in.validate(); err != nil {
		return err
	}
	if err := knownUpstream(tx, in.Upstream); err != nil {
		return err
	}
	owner := OwnerOr(ev.Owner)
	if _, err := skuTx(tx, owner, in.SKU); err != nil {
		return err
	}
	in.Owner, in.State, in.At = owner, InstructionOpen, ev.At
	return putJSON(tx.Bucket(bucketInstructions), instructionKey(owner, in.Upstream, in.ID), in)
}

// ReceiveInstruction keeps an upstream's stock instruction for a supervisor;
// key is the syncer's key for the change (a repeat changes nothing).
func (l *Ledger) ReceiveInstruction(ctx context.Context, key string, in Instruction) (Instruction, error) {
	if err := checkFree(FieldReason, in.Reason, false); err != nil {
		return in, err
	}
	if err := in.validate(); err != nil {
		return in, err
	}
	owner, err := l.KnownOwner(in.Owner)
	if err != nil {
		return in, err
	}
	in.Owner = ""
	return keyedAppend(ctx, l, key, EvInstructionReceived, owner, "instruction:"+in.Upstream+":"+in.ID, in, syncActor(in.Upstream), "syncer", nil)
}

// Instructions lists the stock instructions not yet decided (all of them
// with done and refused when all is set), oldest first.
func (l *Ledger) Instructions(all bool) ([]Instruction, error) {
	var out []Instruction
	err := l.view(func(tx *txn) error {
		return tx.Bucket(bucketInstructions).ForEach(func(_, v []byte) error {
			var in Instruction
			if err := jsonUnmarshal(v, &in); err != nil {
				return err
			}
			if all || in.State == InstructionOpen {
				out = append(out, in)
			}
			return nil
		})
	})
	return out, err
}

// CarryOutInstruction adjusts stock as an instruction asks (at location,
// when the instruction names none) and closes it; key is the request's key:
// a repeat gets the first answer even though the instruction is closed now.
func (l *Ledger) CarryOutInstruction(ctx context.Context, key, owner, upstream, id, location, actor, device string) (StockAdjustment, error) {
	owner = OwnerOr(owner)
	location = strings.TrimSpace(location)
	if key == "" {
		key = newID()
	}
	target := "instruction:" + upstream + ":" + id
	req := struct{ Owner, Upstream, ID, Location string }{owner, upstream, id, location}
	k := keyed{id: key, typ: EvStockAdjusted, target: target, actor: actor, request: req}
	return runKeyed(ctx, l, k, func() (Event, error) {
		var in Instruction
		err := l.view(func(tx *txn) error {
			var err error
			in, err = mustGet[Instruction](tx, bucketInstructions, instructionKey(owner, upstream, id), "sync.instruction_not_found", "id", clipText(id))
			return err
		})
		if err != nil {
			return Event{}, err
		}
		if in.State != InstructionOpen {
			return Event{}, Errf(CodeConflict, "sync.instruction_closed", "id", id, "state", in.State)
		}
		loc := in.Location
		if loc == "" {
			loc = location
		}
		if loc == "" {
			return Event{}, Errf(CodeInvalid, "sync.instruction_location")
		}
		a := StockAdjustment{SKU: in.SKU, Lot: in.Lot, Expiry: in.Expiry, Location: loc, Delta: in.Delta,
			Reason: "instruction:" + in.ID, Instruction: upstream + "/" + in.ID}
		return newOwnedEvent(key, EvStockAdjusted, actor, device, owner, a)
	}, func(tx *txn, ev *Event) (StockAdjustment, error) {
		var out StockAdjustment
		err := decode(ev, &out)
		return out, err
	})
}

// RefuseInstruction refuses an instruction; the upstream is told why.
func (l *Ledger) RefuseInstruction(ctx context.Context, key, owner, upstream, id, reason, actor, device string) (ChangeRefusal, error) {
	if err := checkFree(FieldReason, reason, false); err != nil {
		return ChangeRefusal{}, err
	}
	r := ChangeRefusal{Upstream: upstream, UpstreamID: id, ChangeType: "stock.instruction", Code: "instruction.refused",
		Reason: strings.TrimSpace(reason), Instruction: true}
	if r.Reason == "" {
		return r, Errf(CodeInvalid, "sync.refusal_reason_required")
	}
	if err := r.validate(); err != nil {
		return r, err
	}
	return keyedAppend(ctx, l, key, EvChangeRefused, OwnerOr(owner), "instruction:"+upstream+":"+id, r, actor, device, nil)
}

// closeInstruction marks an instruction carried out by a stock adjustment
// that names it ("upstream/id").
func closeInstruction(tx *txn, ev *Event, owner, ref string) error {
	upstream, id, ok := strings.Cut(ref, "/")
	if !ok {
		return Errf(CodeInvalid, "sync.instruction_not_found", "id", clipText(ref))
	}
	k := instructionKey(owner, upstream, id)
	in, err := mustGet[Instruction](tx, bucketInstructions, k, "sync.instruction_not_found", "id", clipText(id))
	if err != nil {
		return err
	}
	if in.State != InstructionOpen {
		return Errf(CodeConflict, "sync.instruction_closed", "id", id, "state", in.State)
	}
	in.State, in.DecidedBy, in.Decided = InstructionDone, ev.Actor, ev.At
	return putJSON(tx.Bucket(bucketInstructions), k, in)
}
