package wms

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// fillLog appends n events quickly, many per transaction, through the same
// appendTx that Append uses: mostly cheap warehouse events (an unknown
// badge's failed login changes nothing but the log), and every tenth a SKU
// of one of two owners (or of none, the default owner's).
func fillLog(t testing.TB, l *Ledger, n int) {
	t.Helper()
	const perTx = 2000
	at := l.Now()
	for done := 0; done < n; {
		err := l.update(func(tx *txn) error {
			for i := 0; i < perTx && done < n; i, done = i+1, done+1 {
				var ev Event
				var err error
				if done < 2 { // the owners the SKUs below belong to
					ev, err = NewEvent(fmt.Sprintf("owner-%d", done), EvOwnerUpserted, "test", "test",
						Owner{Code: []string{"OWN-A", "OWN-B"}[done], Name: "feed test"})
				} else if done%10 == 9 {
					ev, err = NewEvent(fmt.Sprintf("sku-%d", done), EvSKUUpserted, "test", "test",
						SKU{Code: fmt.Sprintf("F%06d", done), Name: "feed test"})
					ev.Owner = []string{"", "OWN-A", "OWN-B"}[done%3]
				} else {
					ev, err = NewEvent(fmt.Sprintf("login-%d", done), EvLoginFailed, "test", "test",
						LoginFailed{Badge: fmt.Sprintf("X%d", done), Reason: "login.unknown_badge"})
				}
				if err != nil {
					return err
				}
				ev.At = at.Add(time.Duration(done) * time.Millisecond)
				if _, _, err := appendTx(tx, ev); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

// storedLog is every event as stored, in sequence order.
func storedLog(t testing.TB, l *Ledger) [][]byte {
	t.Helper()
	var out [][]byte
	_ = l.view(func(tx *txn) error {
		return tx.Bucket(bucketEvents).ForEach(func(k, v []byte) error {
			if seqFromKey(k) != uint64(len(out)+1) {
				t.Fatalf("log has seq %d at position %d", seqFromKey(k), len(out)+1)
			}
			out = append(out, bytes.Clone(v))
			return nil
		})
	})
	return out
}

// readAll follows the feed from after until it has caught up with the log,
// checking on the way that the cursor only moves forward.
func readAll(t testing.TB, l *Ledger, q FeedQuery, maxPages int) []Event {
	t.Helper()
	var out []Event
	for pages := 0; maxPages == 0 || pages < maxPages; pages++ {
		page, err := l.Feed(q)
		if err != nil {
			t.Fatalf("feed after %d: %v", q.After, err)
		}
		if len(page.Events) > q.Limit && q.Limit > 0 {
			t.Fatalf("page of %d events for limit %d", len(page.Events), q.Limit)
		}
		if page.Next < q.After || (page.Next == q.After && page.Next != page.LastSeq) {
			t.Fatalf("cursor after %d moved to %d (last %d)", q.After, page.Next, page.LastSeq)
		}
		if n := len(page.Events); n > 0 && page.Events[n-1].Seq != page.Next && q.Owner == "" {
			t.Fatalf("next %d is not the last event returned (%d)", page.Next, page.Events[n-1].Seq)
		}
		out = append(out, page.Events...)
		q.After = page.Next
		if page.Next == page.LastSeq {
			break
		}
	}
	return out
}

func TestFeedPagesEqualTheLog(t *testing.T) {
	if testing.Short() {
		t.Skip("appends 100,000 events")
	}
	// Not openTest: its closing Check would rebuild 100,000 events, which
	// proves nothing here (fillLog appends through appendTx, as Append does).
	l, err := Open(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	const n = 100_000
	fillLog(t, l, n)
	log := storedLog(t, l)
	if len(log) != n || l.LastSeq() != n {
		t.Fatalf("log holds %d events, last seq %d", len(log), l.LastSeq())
	}
	same := func(t *testing.T, what string, got []Event, want [][]byte) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%s: %d events, want %d", what, len(got), len(want))
		}
		for i, ev := range got {
			raw, err := json.Marshal(ev)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(raw, want[i]) {
				t.Fatalf("%s: event %d is\n%s\nwant\n%s", what, i, raw, want[i])
			}
		}
	}
	rng := rand.New(rand.NewPCG(10, 3))

	t.Run("whole log", func(t *testing.T) {
		same(t, "from 0", readAll(t, l, FeedQuery{Limit: FeedMaxLimit}, 0), log)
	})
	t.Run("random cursors", func(t *testing.T) {
		for range 40 {
			after := rng.IntN(n + 1)
			limit := 1 + rng.IntN(FeedMaxLimit)
			pages := 1 + rng.IntN(4)
			got := readAll(t, l, FeedQuery{After: uint64(after), Limit: limit}, pages)
			end := min(n, after+pages*limit)
			same(t, fmt.Sprintf("after %d limit %d, %d pages", after, limit, pages), got, log[after:end])
		}
		// and one cursor followed to the very end in small random pages
		after := n - 5000 + rng.IntN(1000)
		same(t, "to the end", readAll(t, l, FeedQuery{After: uint64(after), Limit: 1 + rng.IntN(300)}, 0), log[after:])
	})

	decoded := make([]Event, len(log))
	for i, raw := range log {
		if err := json.Unmarshal(raw, &decoded[i]); err != nil {
			t.Fatal(err)
		}
	}
	filtered := func(keep func(Event) bool) ([][]byte, []uint64) {
		var raws [][]byte
		var seqs []uint64
		for i, ev := range decoded {
			if keep(ev) {
				raws = append(raws, log[i])
				seqs = append(seqs, ev.Seq)
			}
		}
		return raws, seqs
	}
	from := func(seqs []uint64, after int) int {
		i, _ := slices.BinarySearch(seqs, uint64(after)+1)
		return i
	}
	t.Run("by type", func(t *testing.T) {
		for _, types := range [][]string{{EvSKUUpserted}, {EvLoginFailed, EvSKUUpserted}, {EvOrderReceived}} {
			want, seqs := filtered(func(ev Event) bool { return slices.Contains(types, ev.Type) })
			for range 2 {
				after := rng.IntN(n + 1)
				got := readAll(t, l, FeedQuery{After: uint64(after), Limit: 1 + rng.IntN(FeedMaxLimit), Types: types}, 0)
				same(t, fmt.Sprintf("%v after %d", types, after), got, want[from(seqs, after):])
			}
		}
	})
	t.Run("by owner", func(t *testing.T) {
		for _, owner := range []string{"OWN-A", DefaultOwner, "NOBODY"} {
			want, seqs := filtered(func(ev Event) bool { return OwnerOf(ev) == owner })
			if owner != "NOBODY" && len(want) < n/40 {
				t.Fatalf("only %d events of %s", len(want), owner)
			}
			for _, types := range [][]string{nil, {EvSKUUpserted, EvLoginFailed}} {
				after := rng.IntN(n + 1)
				got := readAll(t, l, FeedQuery{After: uint64(after), Limit: 1 + rng.IntN(FeedMaxLimit), Owner: owner, Types: types}, 0)
				same(t, fmt.Sprintf("%s %v after %d", owner, types, after), got, want[from(seqs, after):])
			}
		}
	})
	t.Run("an owner filter pages through the log without reading it at once", func(t *testing.T) {
		page, err := l.Feed(FeedQuery{Owner: "NOBODY"})
		if err != nil {
			t.Fatal(err)
		}
		if len(page.Events) != 0 || page.Next != feedScanMax || page.LastSeq != n {
			t.Errorf("first page of a filter matching nothing: %d events, next %d, last %d", len(page.Events), page.Next, page.LastSeq)
		}
	})
}

func TestFeedQueries(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	last := l.LastSeq()
	cases := []struct {
		name string
		q    FeedQuery
		key  string
	}{
		{"limit too big", FeedQuery{Limit: FeedMaxLimit + 1}, "feed.limit_invalid"},
		{"negative limit", FeedQuery{Limit: -1}, "feed.limit_invalid"},
		{"unknown type", FeedQuery{Types: []string{EvPicked, "pick.scaned"}}, "feed.type_unknown"},
		{"owner not text", FeedQuery{Owner: "A\x00B"}, "feed.owner_invalid"},
		{"cursor past the log", FeedQuery{After: last + 1}, "feed.after_beyond"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := l.Feed(tc.q)
			if e, ok := AsError(err); !ok || e.Key != tc.key || e.Code != CodeInvalid {
				t.Errorf("error %v, want %s", err, tc.key)
			}
		})
	}
	page, err := l.Feed(FeedQuery{After: last})
	if err != nil || len(page.Events) != 0 || page.Next != last || page.LastSeq != last {
		t.Errorf("at the end: %+v %v", page, err)
	}
	page, err = l.Feed(FeedQuery{})
	if err != nil || len(page.Events) != int(last) || page.Events[0].Seq != 1 {
		t.Errorf("default limit from the start: %d events %v", len(page.Events), err)
	}
	// a type asked for twice is returned once
	page, err = l.Feed(FeedQuery{Types: []string{EvStockAdjusted, EvStockAdjusted}})
	if err != nil || len(page.Events) != 4 {
		t.Errorf("stock adjustments: %d %v", len(page.Events), err)
	}
	// SKUs and stock written without an owner are the default owner's; the
	// locations (a warehouse event) are nobody's
	page, err = l.Feed(FeedQuery{Owner: DefaultOwner})
	for _, ev := range page.Events {
		if ev.Type == EvLocationUpserted {
			t.Errorf("a location in the default owner's feed: %+v", ev)
		}
	}
	if err != nil || len(page.Events) != int(last)-3 || page.Next != last {
		t.Errorf("default owner: %d of %d events, next %d (%v)", len(page.Events), last, page.Next, err)
	}
}

// The feed never hands out PIN, session or token hashes.
func TestFeedLeavesSecretsOut(t *testing.T) {
	l, _ := openTest(t)
	ctx := context.Background()
	hash, err := HashPIN("1357")
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, l, "staff-1", EvStaffUpserted, StaffChange{Badge: "B1001", Name: "张伟", Role: RolePicker, PINHash: hash})
	csv := "badge,name,role,pin\nB1002,李娜,picker,2468\n"
	if _, err := l.Import(ctx, "import-staff", ImportStaff, "staff.csv", []byte(csv), "test", "test"); err != nil {
		t.Fatal(err)
	}
	session, who, err := l.Login(ctx, "B1001", "1357", "pda-1")
	if err != nil {
		t.Fatal(err)
	}
	if err := l.Logout(ctx, session, who, "pda-1"); err != nil {
		t.Fatal(err)
	}
	if err := l.ChangePIN(ctx, Principal{Badge: "B1002"}, "2468", "8642", "pda-2"); err != nil {
		t.Fatal(err)
	}
	token, err := l.CreateToken(ctx, "oms", RoleAdmin, "test")
	if err != nil {
		t.Fatal(err)
	}
	// every secret the log holds, read from the log itself
	var secrets []string
	for _, raw := range storedLog(t, l) {
		for _, m := range secretValue.FindAllSubmatch(raw, -1) {
			secrets = append(secrets, string(m[2]))
		}
	}
	if len(secrets) < 6 {
		t.Fatalf("only %d secrets in the log: %v", len(secrets), secrets)
	}
	page, err := l.Feed(FeedQuery{})
	if err != nil {
		t.Fatal(err)
	}
	out, _ := json.Marshal(page)
	for _, s := range append(secrets, hashSecret(token), hashSecret(session)) {
		if bytes.Contains(out, []byte(s)) {
			t.Errorf("the feed hands out %s", s)
		}
	}
	types := map[string]bool{}
	for _, ev := range page.Events {
		types[ev.Type] = true
		if bytes.Contains(ev.Data, []byte("hash")) {
			t.Errorf("%s still names a hash: %s", ev.Type, ev.Data)
		}
	}
	for _, typ := range []string{EvStaffUpserted, EvImported, EvLoginSucceeded, EvLoggedOut, EvPINChanged, EvTokenCreated} {
		if !types[typ] {
			t.Errorf("%s left the feed: secrets are taken out of events, the events stay", typ)
		}
	}
	var staff Import
	for _, ev := range page.Events {
		if ev.Type == EvImported {
			if err := json.Unmarshal(ev.Data, &staff); err != nil || len(staff.Staff) != 1 || staff.Staff[0].Name != "李娜" {
				t.Errorf("the staff file's other fields: %s (%v)", ev.Data, err)
			}
		}
	}
}

var secretValue = regexp.MustCompile(`"(pin_hash|session_hash|hash)":"([^"]+)"`)

// Every payload field that holds a hash is one the feed takes out: a new
// secret in an event fails here until feedSecrets names it.
func TestFeedSecretsCoverTheCatalogue(t *testing.T) {
	for _, spec := range Catalogue() {
		for _, name := range jsonNames(reflect.TypeOf(spec.Payload), map[reflect.Type]bool{}) {
			if strings.Contains(name, "hash") || strings.Contains(name, "secret") || strings.Contains(name, "password") {
				if !slices.Contains(feedSecrets[spec.Type], name) {
					t.Errorf("%s has %q, which the feed hands out: add it to feedSecrets", spec.Type, name)
				}
			}
		}
	}
}

// jsonNames lists the JSON field names of a type, nested ones too.
func jsonNames(t reflect.Type, seen map[reflect.Type]bool) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return nil
	}
	seen[t] = true
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" {
			name = f.Name
		}
		if name != "-" {
			out = append(out, name)
		}
		out = append(out, jsonNames(f.Type, seen)...)
	}
	return out
}

// A reader waiting for new events wakes when a commit appends one: measured
// over several rounds from the moment the append returned (committed) to the
// moment the reader had the event. A reader that slept until its timeout
// (10 s) fails.
func TestFeedWakesWaitingReaders(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	const rounds = 20
	var lat []time.Duration
	for i := range rounds {
		after := l.LastSeq()
		type result struct {
			page FeedPage
			at   time.Time
			err  error
		}
		got := make(chan result, 2)
		for range 2 { // two readers on the same commit: both wake
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				page, err := l.WaitFeed(ctx, FeedQuery{After: after})
				got <- result{page, time.Now(), err}
			}()
		}
		time.Sleep(20 * time.Millisecond) // let them wait
		select {
		case r := <-got:
			t.Fatalf("round %d: a reader returned before any commit: %+v %v", i, r.page, r.err)
		default:
		}
		mustAppend(t, l, fmt.Sprintf("wake-%d", i), EvLoginFailed, LoginFailed{Badge: "X1", Reason: "login.unknown_badge"})
		committed := time.Now()
		for range 2 {
			r := <-got
			if r.err != nil || len(r.page.Events) != 1 || r.page.Events[0].ID != fmt.Sprintf("wake-%d", i) || r.page.Next != after+1 {
				t.Fatalf("round %d: woke with %+v %v", i, r.page, r.err)
			}
			lat = append(lat, max(0, r.at.Sub(committed)))
		}
	}
	slices.Sort(lat)
	median := lat[len(lat)/2]
	t.Logf("wake after commit over %d wakes: median %v, max %v", len(lat), median, lat[len(lat)-1])
	if median > 50*time.Millisecond {
		t.Errorf("readers woke a median %v after the commit, want within 50ms", median)
	}
	if lat[len(lat)-1] > 5*time.Second {
		t.Errorf("a reader slept %v: it was not woken by the commit", lat[len(lat)-1])
	}
}

// Found: a reader waiting on the feed slept through the commands that take a
// key (orders, receipts, waves, owners, ... through runKeyed): only Append
// rang the bell, so a long poll answered at its deadline, empty.
func TestFeedWakesOnKeyedCommands(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	for i := range 3 {
		after := l.LastSeq()
		done := make(chan FeedPage, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			page, _ := l.WaitFeed(ctx, FeedQuery{After: after, Types: []string{EvOwnerUpserted}})
			done <- page
		}()
		time.Sleep(20 * time.Millisecond) // let it wait
		code := fmt.Sprintf("OWN-%d", i)
		if _, err := l.SaveOwner(context.Background(), "key-"+code, Owner{Code: code, Name: "货主"}, "test", "test"); err != nil {
			t.Fatal(err)
		}
		committed := time.Now()
		select {
		case p := <-done:
			if len(p.Events) != 1 || p.Events[0].Type != EvOwnerUpserted || p.Events[0].Seq != after+1 {
				t.Errorf("round %d: woke with %+v", i, p)
			}
			if d := time.Since(committed); d > time.Second {
				t.Errorf("round %d: woke %v after the commit", i, d)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("round %d: a keyed command's commit did not wake the reader", i)
		}
	}
}

// A waiting reader whose filter skips the new events keeps waiting, and at
// its deadline returns an empty page whose cursor has moved past them.
func TestFeedWaitWithFilter(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	after := l.LastSeq()
	done := make(chan FeedPage, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		page, _ := l.WaitFeed(ctx, FeedQuery{After: after, Types: []string{EvStockAdjusted}})
		done <- page
	}()
	time.Sleep(20 * time.Millisecond)
	mustAppend(t, l, "w1", EvLoginFailed, LoginFailed{Badge: "X1", Reason: "login.unknown_badge"})
	select {
	case p := <-done:
		t.Fatalf("woke for an event its filter skips: %+v", p)
	case <-time.After(100 * time.Millisecond):
	}
	mustAppend(t, l, "w2", EvStockAdjusted, StockAdjustment{SKU: "BOOK", Location: "A01-01-01", Delta: 1, Reason: "test"})
	select {
	case p := <-done:
		if len(p.Events) != 1 || p.Events[0].ID != "w2" || p.Next != after+2 {
			t.Errorf("woke with %+v", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("not woken by an event its filter keeps")
	}

	// at the deadline: empty, the cursor past what was skipped
	mustAppend(t, l, "w3", EvLoginFailed, LoginFailed{Badge: "X1", Reason: "login.unknown_badge"})
	short, cancelShort := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancelShort()
	page, err := l.WaitFeed(short, FeedQuery{After: after + 2, Types: []string{EvStockAdjusted}})
	if err != nil || len(page.Events) != 0 || page.Next != after+3 {
		t.Errorf("timed out with %+v %v", page, err)
	}
}

// The integration role is for API tokens that read the feed, never for staff.
func TestIntegrationRoleIsForTokensOnly(t *testing.T) {
	l, _ := openTest(t)
	ctx := context.Background()
	token, err := l.CreateToken(ctx, "standby", RoleIntegration, "cli")
	if err != nil {
		t.Fatal(err)
	}
	if p, err := l.TokenPrincipal(token); err != nil || p.Role != RoleIntegration || p.Actor() != "token:standby" {
		t.Errorf("integration token: %+v %v", p, err)
	}
	if _, err := l.CreateToken(ctx, "x", Role("robot"), "cli"); ErrorCode(err) != CodeInvalid {
		t.Errorf("token with an unknown role: %v", err)
	}
	_, err = l.Import(ctx, "staff-int", ImportStaff, "staff.csv", []byte("badge,name,role,pin\nB1009,机器,integration,1234\n"), "test", "test")
	if ErrorCode(err) != CodeInvalid {
		t.Errorf("a staff member with the integration role: %v", err)
	}
	ev, _ := NewEvent("staff-int-2", EvStaffUpserted, "test", "test", StaffChange{Badge: "B1009", Name: "机器", Role: RoleIntegration})
	if _, _, err := l.Append(ctx, ev); err == nil {
		t.Error("staff.upserted with the integration role was taken")
	}
}
