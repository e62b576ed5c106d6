// Package standby is the follower of a standby node (tally serve --follow
// URL): it reads the primary's log through the replication read (GET
// /api/v1/replication, a long poll) and appends every event to its own
// ledger with wms.Ledger.Replicate, so the two stores hold the same log and
// the same projections. It stops when the store is promoted.
package standby

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"tally/server"
	"tally/wms"
)

// Options configure a Follower.
type Options struct {
	// Primary is the primary's base address, e.g. http://10.0.0.11:8080.
	Primary string
	// Token is a bearer token of the replica (or admin) role on the
	// primary. It is a secret: never logged.
	Token string
	// Limit is the most events one read asks for (0: 500).
	Limit int
	// Wait is how long one read waits on the primary for new events (0: 30s).
	Wait time.Duration
	// Client is the HTTP client (nil: one with a timeout of Wait + 30s).
	Client *http.Client
	Log    *slog.Logger
	// Now is the clock (nil: time.Now).
	Now func() time.Time
}

// Follower applies the primary's events to a standby's ledger.
type Follower struct {
	l   *wms.Ledger
	o   Options
	url string // the replication read's address

	mu      sync.Mutex
	primary uint64    // the primary's newest seq at its last answer
	contact time.Time // the primary's last answer
	heldAll time.Time // the last moment this store held everything the primary had
	polling time.Time // a long poll in flight, sent while caught up (zero: none)
	lastErr string
	begun   time.Time // when the follower was made
}

// maxBody bounds one answer: a page of ReplicaMaxLimit events of up to the
// largest import each would be far more, but a page stops at the limit and
// imports are rare; 256 MiB keeps a broken primary from filling memory.
const maxBody = 256 << 20

// New makes a follower for l, which must be a standby (wms.Ledger.Follow).
func New(l *wms.Ledger, o Options) (*Follower, error) {
	u, err := url.Parse(strings.TrimRight(o.Primary, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--follow %q: give the primary's address, such as http://10.0.0.11:8080", o.Primary)
	}
	if o.Token == "" {
		return nil, errors.New("--follow needs a token of the replica role on the primary (--token or TALLY_FOLLOW_TOKEN; make one there with `tally token create --role replica`)")
	}
	if o.Limit <= 0 {
		o.Limit = 500
	}
	o.Limit = min(o.Limit, wms.ReplicaMaxLimit)
	if o.Wait <= 0 {
		o.Wait = 30 * time.Second
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: o.Wait + 30*time.Second}
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return &Follower{l: l, o: o, url: u.String() + "/api/v1/replication", begun: o.Now()}, nil
}

// Run follows until ctx ends or the store is promoted. A failure (the
// primary out of reach, an answer that does not apply) is shown in the
// status and retried with backoff; nothing half applied is kept (a page is
// applied in one transaction).
func (f *Follower) Run(ctx context.Context) error {
	backoff := time.Second
	if err := f.l.RemoveUnfinishedTables(); err != nil { // a download or a build a killed standby left
		f.o.Log.Warn("removing unfinished table files", "err", err)
	}
	for ctx.Err() == nil {
		if _, ok := f.l.Following(); !ok {
			f.o.Log.Info("following ended: this store is the primary now")
			return nil
		}
		err := f.step(ctx, f.o.Wait)
		if err == nil {
			backoff = time.Second
			continue
		}
		if ctx.Err() != nil {
			return nil
		}
		if _, ok := f.l.Following(); !ok {
			continue // promoted while a page was read: Run says so and ends
		}
		f.mu.Lock()
		f.lastErr = err.Error()
		f.polling = time.Time{}
		f.mu.Unlock()
		f.o.Log.Warn("following the primary", "primary", f.o.Primary, "err", err, "retry_in", backoff.String())
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 30*time.Second)
	}
	return nil
}

// Prime reads one page without waiting, before the standby's server
// starts: the primary's store secret first of all, so the pages' CSRF
// tokens are the primary's from the first request on (the server reads the
// secret once, when it is made).
func (f *Follower) Prime(ctx context.Context) error {
	return f.step(ctx, 0)
}

// step reads one page after the last event here and applies it.
func (f *Follower) step(ctx context.Context, wait time.Duration) error {
	after := f.l.LastSeq()
	q := url.Values{"after": {strconv.FormatUint(after, 10)}, "limit": {strconv.Itoa(f.o.Limit)},
		"wait": {strconv.Itoa(int(wait / time.Second))}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url+"?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+f.o.Token)
	req.Header.Set("Accept", "application/json")
	sent := f.o.Now()
	f.mu.Lock()
	if after >= f.primary && !f.contact.IsZero() {
		f.polling = sent
	}
	f.mu.Unlock()
	resp, err := f.o.Client.Do(req)
	if err != nil {
		return fmt.Errorf("the primary did not answer: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return fmt.Errorf("reading the primary's answer: %w", err)
	}
	if len(body) > maxBody {
		return fmt.Errorf("the primary's answer is over %d bytes", maxBody)
	}
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.Unmarshal(body, &e)
		return fmt.Errorf("the primary answered %d: %s", resp.StatusCode, clip(e.Error))
	}
	var page wms.ReplicaPage
	if err := json.Unmarshal(body, &page); err != nil {
		return fmt.Errorf("the primary's answer does not decode: %w", err)
	}
	got := f.o.Now()
	f.mu.Lock()
	f.primary, f.contact, f.polling = page.LastSeq, got, time.Time{}
	f.mu.Unlock()
	if changed, err := f.l.AdoptSecret(page.Secret); err != nil {
		return fmt.Errorf("adopting the primary's store secret: %w", err)
	} else if changed {
		f.o.Log.Info("adopted the primary's store secret (pages' form tokens): restart this standby if it was serving pages already")
	}
	if _, err := f.l.Replicate(ctx, page.Events); err != nil {
		var need *wms.IDTableNeeded
		if errors.As(err, &need) {
			// the primary's ID table or lot index, fetched and
			// checked; the next step applies the page again with it.
			// When the fetch fails the operator reads both: why this
			// store needs the file (with copying it by hand as the
			// remedy) and why the fetch failed.
			what := wms.TableKindOf(need.Name)
			if err := f.fetchIDTable(ctx, need); err != nil {
				return &fetchFailed{after: after, what: what, name: need.Name, need: need.Err, err: err}
			}
			f.o.Log.Info("fetched the primary's "+what, "name", need.Name)
			return nil
		}
		return fmt.Errorf("applying events after %d: %w", after, err)
	}
	f.mu.Lock()
	if f.l.LastSeq() >= page.LastSeq {
		f.heldAll = got
	}
	f.lastErr = ""
	f.mu.Unlock()
	return nil
}

// idTableWait bounds the wait for the primary's answer to a table's
// request; idTableRate is the slowest link a download is given time for
// (idTableTimeout): a 4 GB table at 1 MiB/s is about 70 minutes.
const (
	idTableWait = 2 * time.Minute
	idTableRate = 1 << 20 // bytes a second
)

// idTableTimeout is how long a download of size bytes (-1: not known, the
// largest table) may take: the wait, and its bytes at idTableRate.
func idTableTimeout(size int64) time.Duration {
	if size < 0 || size > wms.MaxIDTableBytes {
		size = wms.MaxIDTableBytes
	}
	return idTableWait + time.Duration(size/idTableRate+1)*time.Second
}

// fetchIDTable reads an ID table or lot index from the primary (the
// replication route's id-tables/NAME) into this store's archive folder;
// the ledger keeps it only when its SHA-256 is the one the event names.
func (f *Follower) fetchIDTable(ctx context.Context, need *wms.IDTableNeeded) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	deadline := time.AfterFunc(idTableWait, cancel) // the answer's headers; then its size's time
	defer deadline.Stop()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.url+"/id-tables/"+url.PathEscape(need.Name), nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+f.o.Token)
	client := *f.o.Client
	client.Timeout = 0 // ctx's: a table is larger than a page
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("the primary did not answer: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var e struct {
			Error string `json:"error"`
		}
		_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&e)
		return fmt.Errorf("the primary answered %d: %s", resp.StatusCode, clip(e.Error))
	}
	deadline.Reset(idTableTimeout(resp.ContentLength))
	if resp.ContentLength > wms.MaxIDTableBytes {
		return fmt.Errorf("the primary's table is %d bytes, over %d", resp.ContentLength, int64(wms.MaxIDTableBytes))
	}
	return f.l.AdoptIDTable(need.Name, need.Digest, resp.Body, resp.ContentLength)
}

// fetchFailed is a page that needs the primary's table (need: the
// digest_differs error, whose words say how to copy the file by hand) when
// fetching it failed (err): its text, in the log and the status, is both.
type fetchFailed struct {
	after      uint64
	what, name string
	need, err  error
}

func (e *fetchFailed) Error() string {
	return fmt.Sprintf("applying events after %d: %s Fetching the primary's %s %s failed: %s", e.after, english(e.need), e.what, e.name, english(e.err))
}

func (e *fetchFailed) Unwrap() []error { return []error{e.need, e.err} }

// english is an error's words in English: a domain error's message (as
// the views register it with wms), else its text.
func english(err error) string {
	if we, ok := err.(*wms.Error); ok {
		return we.English()
	}
	return err.Error()
}

// StandbyStatus is how far behind the primary this store is.
func (f *Follower) StandbyStatus() server.StandbyStatus {
	applied := f.l.LastSeq()
	now := f.o.Now()
	f.mu.Lock()
	defer f.mu.Unlock()
	st := server.StandbyStatus{Primary: f.o.Primary, AppliedSeq: applied, PrimarySeq: max(f.primary, applied), Error: f.lastErr}
	st.LagEvents = st.PrimarySeq - applied
	if !f.contact.IsZero() {
		c := f.contact
		st.LastContact = &c
	}
	switch {
	case f.heldAll.IsZero(): // not caught up since it started
		st.LagSeconds = now.Sub(f.begun).Seconds()
	case !f.polling.IsZero() && now.Sub(f.polling) <= f.o.Wait+5*time.Second:
		// caught up when the long poll was sent: the primary answers at
		// its next commit, so until the wait is over nothing is missing
		st.LagSeconds = 0
	default:
		st.LagSeconds = now.Sub(f.heldAll).Seconds()
	}
	return st
}

// clip bounds the primary's words before they reach the log and the status.
func clip(s string) string {
	if r := []rune(s); len(r) > 300 {
		return string(r[:300]) + "…"
	}
	return s
}
