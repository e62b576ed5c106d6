package wms

import (
	"bytes"
	"context"
	"sort"
	"strconv"
	"time"

	bolt "go.etcd.io/bbolt"
)

// PrintJob is a label to print at a station; the print worker sends it.
type PrintJob struct {
	ID      string    `json:"id"`
	Station string    `json:"station"`
	Kind    string    `json:"kind"`            // waybill
	Owner   string    `json:"owner,omitempty"` // the order's owner
	Order   string    `json:"order,omitempty"`
	Parcel  int       `json:"parcel,omitempty"`
	Copy    bool      `json:"copy,omitempty"`
	Status  string    `json:"status"` // queued, sent, failed, browser
	Tries   int       `json:"tries"`
	Retries int       `json:"retries,omitempty"` // times a supervisor sent it back to the queue
	Error   string    `json:"error,omitempty"`
	Actor   string    `json:"actor"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

// PrintRequest asks for a label (a reprint is a copy and is audited as an event).
type PrintRequest struct {
	Station string `json:"station"`
	Kind    string `json:"kind"`
	Owner   string `json:"owner,omitempty"` // the order's owner; empty: the default owner
	Order   string `json:"order"`
	Parcel  int    `json:"parcel"`
	Copy    bool   `json:"copy,omitempty"`
}

// GaveUp tells whether the job failed as often as it may and left the queue:
// only a person retrying it sends it to the printer again.
func (j PrintJob) GaveUp() bool {
	return j.Status == "failed" && j.Tries >= MaxPrintTries*(j.Retries+1)
}

// PrintRetry sends a job that gave up back to the printer, for as many tries again.
type PrintRetry struct {
	Job string `json:"job"`
}

// PrintFilter chooses print jobs: by status, station or order (empty: any), at most Limit.
type PrintFilter struct {
	Status, Station, Order string
	Owner                  string // the order's owner: with Order, empty is the default owner; alone, empty is every owner's
	Limit                  int
}

// PrintResult is what the worker got from the printer.
type PrintResult struct {
	Job    string `json:"job"`
	Status string `json:"status"` // sent, failed, browser
	Error  string `json:"error,omitempty"`
}

func applyPrintRequested(tx *txn, ev *Event) error {
	var p PrintRequest
	if err := decode(ev, &p); err != nil {
		return err
	}
	if tx.Bucket(bucketStations).Get([]byte(p.Station)) == nil {
		return Errf(CodeNotFound, "station.not_found", "station", p.Station)
	}
	owner := OwnerOr(p.Owner)
	ps, err := getPack(tx, owner, p.Order)
	if err != nil {
		return err
	}
	if p.Parcel < 1 || p.Parcel > len(ps.Parcels) {
		return Errf(CodeNotFound, "pack.parcel_not_found", "order", p.Order, "parcel", strconv.Itoa(p.Parcel))
	}
	job := PrintJob{ID: printJobID(ev.Seq), Station: p.Station, Kind: "waybill", Owner: p.Owner, Order: p.Order, Parcel: p.Parcel,
		Copy: p.Copy, Status: "queued", Actor: ev.Actor, Created: ev.At, Updated: ev.At}
	if err := putJSON(tx.Bucket(bucketPrintJobs), []byte(job.ID), job); err != nil {
		return err
	}
	if err := tx.Bucket(bucketOrderPrints).Put(append(prefixKey(owner, p.Order), seqKey(ev.Seq)...), []byte(job.ID)); err != nil {
		return err
	}
	return tx.Bucket(bucketPrintQueue).Put([]byte(job.ID), []byte{})
}

func applyPrinted(tx *txn, ev *Event) error {
	var p PrintResult
	if err := decode(ev, &p); err != nil {
		return err
	}
	job, err := mustGet[PrintJob](tx, bucketPrintJobs, []byte(p.Job), "print.job_not_found", "job", p.Job)
	if err != nil {
		return err
	}
	job.Tries++
	job.Status, job.Error, job.Updated = p.Status, p.Error, ev.At
	q := tx.Bucket(bucketPrintQueue)
	switch {
	case p.Status == "sent" || p.Status == "browser":
		if err := q.Delete([]byte(job.ID)); err != nil {
			return err
		}
	case job.GaveUp():
		if err := q.Delete([]byte(job.ID)); err != nil {
			return err
		}
	case p.Status != "failed":
		return Errf(CodeInvalid, "print.status_invalid")
	}
	return putJSON(tx.Bucket(bucketPrintJobs), []byte(job.ID), job)
}

// printJobID names the job a print request makes after the request's
// sequence number; PrintJobs finds the jobs from the requests by it.
func printJobID(seq uint64) string { return "J" + strconv.FormatUint(seq, 10) }

// MaxPrintTries: a job that failed this often leaves the queue (the kiosk and
// the print jobs page show it; a supervisor may retry it).
const MaxPrintTries = 5

func applyPrintRetried(tx *txn, ev *Event) error {
	var p PrintRetry
	if err := decode(ev, &p); err != nil {
		return err
	}
	job, err := mustGet[PrintJob](tx, bucketPrintJobs, []byte(p.Job), "print.job_not_found", "job", p.Job)
	if err != nil {
		return err
	}
	if !job.GaveUp() {
		return Errf(CodeConflict, "print.not_failed", "job", job.ID, "status", "print.status."+job.Status)
	}
	job.Retries++
	job.Status, job.Updated = "queued", ev.At
	if err := putJSON(tx.Bucket(bucketPrintJobs), []byte(job.ID), job); err != nil {
		return err
	}
	return tx.Bucket(bucketPrintQueue).Put([]byte(job.ID), []byte{})
}

// RequestPrint queues a label.
func (l *Ledger) RequestPrint(ctx context.Context, id string, p PrintRequest, actor, device string) (PrintJob, error) {
	p.Owner = envelopeOwner(p.Owner)
	k := keyed{id: id, typ: EvPrintRequested, target: OrderRef(OwnerOr(p.Owner), p.Order), actor: actor, request: p}
	return runKeyed(ctx, l, k, func() (Event, error) {
		return NewEvent(id, EvPrintRequested, actor, device, p)
	}, func(tx *txn, ev *Event) (PrintJob, error) { return printJobIn(tx, printJobID(ev.Seq)) })
}

func printJobIn(tx *txn, id string) (PrintJob, error) {
	return mustGet[PrintJob](tx, bucketPrintJobs, []byte(id), "print.job_not_found", "job", id)
}

// RecordPrint records what the printer said.
func (l *Ledger) RecordPrint(ctx context.Context, id string, r PrintResult) error {
	_, err := l.appendData(ctx, id, EvPrinted, "system", "printer", r)
	return err
}

// PrintJob returns one job.
func (l *Ledger) PrintJob(id string) (PrintJob, error) {
	var j PrintJob
	err := l.view(func(tx *txn) (err error) {
		j, err = printJobIn(tx, id)
		return err
	})
	return j, err
}

// RetryPrint sends a job that gave up back to the printer.
func (l *Ledger) RetryPrint(ctx context.Context, id, job, actor, device string) (PrintJob, error) {
	p := PrintRetry{Job: job}
	k := keyed{id: id, typ: EvPrintRetried, target: job, actor: actor, request: p}
	return runKeyed(ctx, l, k, func() (Event, error) {
		return NewEvent(id, EvPrintRetried, actor, device, p)
	}, func(tx *txn, ev *Event) (PrintJob, error) { return printJobIn(tx, job) })
}

// PrintJobs lists jobs newest first: an order's from its index, the others
// walking the print requests back from the newest until Limit match.
func (l *Ledger) PrintJobs(f PrintFilter) ([]PrintJob, error) {
	if f.Limit <= 0 {
		f.Limit = 100
	}
	var out []PrintJob
	err := l.view(func(tx *txn) error {
		take := func(id []byte) (bool, error) {
			j, found, err := lookup[PrintJob](tx, bucketPrintJobs, id)
			if err != nil || !found {
				return false, err
			}
			if (f.Status == "" || j.Status == f.Status) && (f.Station == "" || j.Station == f.Station) && (f.Order == "" || (j.Order == f.Order && OwnerOr(j.Owner) == OwnerOr(f.Owner))) &&
				(f.Order != "" || f.Owner == "" || OwnerOr(j.Owner) == f.Owner) {
				out = append(out, j)
			}
			return len(out) >= f.Limit, nil
		}
		var c *bolt.Cursor
		var p []byte
		if f.Order != "" {
			c, p = tx.Bucket(bucketOrderPrints).Cursor(), prefixKey(OwnerOr(f.Owner), f.Order)
		} else {
			c, p = tx.Bucket(bucketByType).Cursor(), prefixKey(EvPrintRequested)
		}
		// from the last key under p backwards: seek past the prefix, step back
		k, _ := c.Seek(append(append([]byte{}, p[:len(p)-1]...), sep+1))
		var v []byte
		if k == nil {
			k, v = c.Last()
		} else {
			k, v = c.Prev()
		}
		for ; k != nil && bytes.HasPrefix(k, p); k, v = c.Prev() {
			id := v
			if f.Order == "" {
				id = []byte(printJobID(seqFromKey(k[len(p):])))
			}
			if done, err := take(id); err != nil || done {
				return err
			}
		}
		return nil
	})
	return out, err
}

// QueuedPrintJobs lists jobs waiting for the printer, oldest first.
func (l *Ledger) QueuedPrintJobs() ([]PrintJob, error) {
	var out []PrintJob
	err := l.view(func(tx *txn) error {
		return tx.Bucket(bucketPrintQueue).ForEach(func(k, _ []byte) error {
			var j PrintJob
			if _, err := getJSON(tx.Bucket(bucketPrintJobs), k, &j); err != nil {
				return err
			}
			out = append(out, j)
			return nil
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, err
}
