package wms

import "encoding/json"

// A task's stored form (see projcodec.go). The handheld's answer is the
// task's JSON, made from the decoded task (taskJSON).
const taskCodecV1 byte = 0xB1

func encodeTask(t *Task) []byte {
	e := newProjEnc(taskCodecV1, 128+160*len(t.Lines)+64*len(t.Picks))
	for _, s := range []string{t.ID, t.Wave, string(t.Kind), string(t.Mode), string(t.State)} {
		e.str(s)
	}
	e.n(t.Priority)
	e.str(t.Actor)
	e.str(t.Device)
	e.n(len(t.Orders))
	for _, o := range t.Orders {
		e.str(o.Owner)
		e.str(o.Order)
		e.str(o.Tote)
	}
	e.n(len(t.Lines))
	for i := range t.Lines {
		l := &t.Lines[i]
		e.n(l.N)
		for _, s := range []string{l.Owner, l.Order, l.SKU, l.Name} {
			e.str(s)
		}
		e.strs(l.GTINs)
		e.bool(l.LotTracked)
		e.str(l.Lot)
		e.str(l.Expiry)
		e.str(l.Location)
		e.n(l.PickSeq)
		e.int(l.Qty)
		e.int(l.Done)
		e.int(l.Short)
		e.bool(l.Cancelled)
	}
	e.str(t.Location)
	e.str(t.Reason)
	e.when(t.Created)
	e.whenPtr(t.Started)
	e.whenPtr(t.Finished)
	e.n(len(t.Picks))
	for i := range t.Picks {
		p := &t.Picks[i]
		e.str(p.Event)
		e.n(p.Line)
		e.str(p.Lot)
		e.str(p.Location)
		e.int(p.Qty)
		e.strs(p.Serials)
		e.bool(p.Undone)
		e.bool(p.Completed)
	}
	return e.b
}

func decodeTask(v []byte) (Task, error) {
	var t Task
	d, ok := newProjDec(taskCodecV1, v)
	if !ok {
		return t, Errf(CodeInternal, "event.payload_invalid", "type", "task")
	}
	t.ID, t.Wave, t.Kind, t.Mode, t.State = d.str(), d.str(), TaskKind(d.str()), WaveMode(d.str()), TaskState(d.str())
	t.Priority, t.Actor, t.Device = d.n(), d.str(), d.str()
	if n := d.count(); n > 0 {
		t.Orders = make([]TaskOrder, n)
		for i := range t.Orders {
			t.Orders[i] = TaskOrder{Owner: d.str(), Order: d.str(), Tote: d.str()}
		}
	}
	if n := d.count(); n > 0 {
		t.Lines = make([]TaskLine, n)
		for i := range t.Lines {
			l := &t.Lines[i]
			l.N, l.Owner, l.Order, l.SKU, l.Name = d.n(), d.str(), d.str(), d.str(), d.str()
			l.GTINs, l.LotTracked, l.Lot, l.Expiry, l.Location = d.strs(), d.bool(), d.str(), d.str(), d.str()
			l.PickSeq, l.Qty, l.Done, l.Short, l.Cancelled = d.n(), d.int(), d.int(), d.int(), d.bool()
			if d.bad {
				break
			}
		}
	}
	t.Location, t.Reason = d.str(), d.str()
	t.Created, t.Started, t.Finished = d.when(), d.whenPtr(), d.whenPtr()
	if n := d.count(); n > 0 {
		t.Picks = make([]PickRecord, n)
		for i := range t.Picks {
			p := &t.Picks[i]
			p.Event, p.Line, p.Lot, p.Location, p.Qty = d.str(), d.n(), d.str(), d.str(), d.int()
			p.Serials, p.Undone, p.Completed = d.strs(), d.bool(), d.bool()
			if d.bad {
				break
			}
		}
	}
	return t, d.end("task")
}

// lookupTask reads a task that may be absent.
func lookupTask(tx *txn, id string) (Task, bool, error) {
	b := tx.Bucket(bucketTasks)
	rec, again := b.cached([]byte(id)) // a replay's decoded task (overlay_typed.go)
	if rec != nil {
		return normTask(&rec.(*taskRec).t), true, nil
	}
	raw := b.Get([]byte(id))
	if raw == nil {
		return Task{}, false, nil
	}
	t, err := decodeTask(raw)
	if err != nil {
		return t, true, &DamagedRecordError{Bucket: string(bucketTasks), Key: id, Err: err}
	}
	if again {
		b.keep([]byte(id), &taskRec{normTask(&t)})
	}
	return t, true, nil
}

func getTask(tx *txn, id string) (*Task, error) {
	t, found, err := lookupTask(tx, id)
	if err == nil && !found {
		err = Errf(CodeNotFound, "task.not_found", "task", id)
	}
	return &t, err
}

// taskJSON is a task as the API and the handheld get it.
func taskJSON(tx *txn, id string) (json.RawMessage, error) {
	t, err := getTask(tx, id)
	if err != nil {
		return nil, err
	}
	return json.Marshal(t)
}
