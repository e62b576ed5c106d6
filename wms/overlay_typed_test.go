package wms

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"reflect"
	"runtime/debug"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

// withTyped sets whether replays hold orders and tasks decoded, for one test.
func withTyped(t *testing.T, on bool) {
	t.Helper()
	was := replayTyped
	replayTyped = on
	t.Cleanup(func() { replayTyped = was })
}

// A rebuild that holds orders and tasks decoded across a chunk writes the
// same bytes in every projection as one that decodes and encodes them at
// every read and write — on the demo's store and a generated one, with
// chunks small enough that records cross chunks, with the overlay spilling
// and the decoded records bounded — and Check finds nothing.
func TestReplayTypedSame(t *testing.T) {
	smallChunks(t, 97)
	withOverlay(t, true)
	demo, _ := openTest(t)
	if _, err := demo.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.SeedDemoOrders(ctx); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "gen")
	events := 3_000
	if generateUnderRace {
		events = 1_200
	}
	generated(t, dir, events, 2, 17)
	gen, err := Open(dir, Options{KeepProjections: true})
	if err != nil {
		t.Fatal(err)
	}
	defer gen.Close()
	var used *overlay
	replayDoneHook = func(st *replayState) { used = st.overlay }
	t.Cleanup(func() { replayDoneHook = nil })

	for _, c := range []struct {
		name string
		l    *Ledger
	}{{"demo", demo}, {"generated", gen}} {
		live := bucketRows(t, c.l)
		withTyped(t, false)
		if err := c.l.Rebuild(); err != nil {
			t.Fatal(err)
		}
		plain := bucketRows(t, c.l)
		sameRows(t, c.name+", rebuilt without decoded records against live", live, plain)
		if used.typedHits != 0 || used.typedPuts != 0 {
			t.Fatalf("%s: records held decoded while off: %d reads, %d writes", c.name, used.typedHits, used.typedPuts)
		}

		withTyped(t, true)
		if err := c.l.Rebuild(); err != nil {
			t.Fatal(err)
		}
		if used.typedPuts == 0 || (c.l == gen && used.typedHits == 0) {
			t.Fatalf("%s: no order or task held decoded: %d reads, %d writes", c.name, used.typedHits, used.typedPuts)
		}
		sameRows(t, c.name+", rebuilt with decoded records against without", plain, bucketRows(t, c.l))

		// bounded: a few decoded records, and the overlay spilling
		wasTyped, wasMax := overlayTypedMax, overlayMaxEntries
		overlayTypedMax, overlayMaxEntries = 2000, 40
		err := c.l.Rebuild()
		overlayTypedMax, overlayMaxEntries = wasTyped, wasMax
		if err != nil {
			t.Fatal(err)
		}
		if used.spills == 0 || used.typedPuts == 0 || used.typedFull == 0 {
			t.Fatalf("%s: bounded: %d spills, %d writes held decoded, %d not for the bound", c.name, used.spills, used.typedPuts, used.typedFull)
		}
		if used.typedPeak > 2000+64<<10 {
			t.Errorf("%s: %d bytes held decoded with a bound of 2,000", c.name, used.typedPeak)
		}
		sameRows(t, c.name+", rebuilt with 2,000 bytes of decoded records and spills against without", plain, bucketRows(t, c.l))

		mm, err := c.l.Check(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range mm {
			t.Errorf("%s: check with decoded records: %s", c.name, m)
		}
		if used.typedPuts == 0 {
			t.Errorf("%s: the check's replay held no record decoded", c.name)
		}
	}
}

// The overlay's decoded records answer as their bytes would: a record put
// decoded reads back as its bytes decoded, a Get of it gives its bytes,
// a raw Put or Delete after it wins, and the flush writes its bytes.
func TestOverlayTypedEntry(t *testing.T) {
	db, err := bolt.Open(filepath.Join(t.TempDir(), "o.db"), 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Update(func(tx *bolt.Tx) error { _, err := tx.CreateBucket(bucketOrders); return err }); err != nil {
		t.Fatal(err)
	}
	o := Order{Owner: DefaultOwner, No: "SO-1", State: OrderNew, Lines: []OrderLine{{SKU: "A", Qty: 2, Parts: []LinePart{}}},
		Received: time.Date(2026, 1, 2, 3, 4, 5, 6, time.FixedZone("CST", 8*3600))}
	k := orderKey(o.Owner, o.No)
	st := newReplayState()
	if st.overlay == nil {
		t.Fatal("no overlay")
	}
	err = db.Update(func(btx *bolt.Tx) error {
		tx := &txn{Tx: btx, replay: st}
		b := tx.Bucket(bucketOrders)
		if !b.putRec(k, &orderRec{normOrder(&o)}) {
			t.Fatal("not held decoded")
		}
		if raw := btx.Bucket(bucketOrders).Get(k); raw != nil {
			t.Error("the decoded record reached bbolt before the flush")
		}
		got, found, err := getOrder(tx, o.Owner, o.No)
		if err != nil || !found {
			t.Fatalf("get: %v %v", found, err)
		}
		want, _ := decodeOrder(encodeOrder(&o))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("read back %+v, want %+v", got, want)
		}
		got.Lines[0].Picked = 2 // the caller's copy, not the overlay's
		again, _, _ := getOrder(tx, o.Owner, o.No)
		if again.Lines[0].Picked != 0 {
			t.Error("a change to a read copy reached the overlay")
		}
		if raw := b.Get(k); !bytes.Equal(raw, encodeOrder(&o)) {
			t.Errorf("Get gave %x, want the encoding", raw)
		}
		if err := b.Delete(k); err != nil {
			t.Fatal(err)
		}
		if _, found, _ := getOrder(tx, o.Owner, o.No); found {
			t.Error("a deleted order still read")
		}
		o.State = OrderPicked
		if !b.putRec(k, &orderRec{normOrder(&o)}) {
			t.Fatal("not held decoded")
		}
		if want := (&orderRec{o}).size(); st.overlay.typed != want {
			t.Errorf("%d bytes held decoded, want %d", st.overlay.typed, want)
		}
		if err := st.flush(tx); err != nil {
			t.Fatal(err)
		}
		if st.overlay.typed != 0 || st.overlay.n != 0 {
			t.Errorf("after the flush: %d records, %d decoded", st.overlay.n, st.overlay.typed)
		}
		if raw := btx.Bucket(bucketOrders).Get(k); !bytes.Equal(raw, encodeOrder(&o)) {
			t.Errorf("flushed %x, want the encoding", raw)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// normOrder and normTask give what a record's bytes decode to, for records
// with every field filled at random (nil, empty and full lists; instants in
// other zones and with monotonic readings), and share no memory with their
// source: a field added to Order or Task that they do not copy, or that the
// codec does not keep, fails here.
func TestNormMatchesCodec(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 3000 {
		var o Order
		fillRandom(r, reflect.ValueOf(&o).Elem())
		dec, err := decodeOrder(encodeOrder(&o))
		if err != nil {
			t.Fatal(err)
		}
		n := normOrder(&o)
		if !reflect.DeepEqual(n, dec) {
			t.Fatalf("order %d: normOrder\n%#v\ndecoded\n%#v", i, n, dec)
		}
		if !bytes.Equal(encodeOrder(&n), encodeOrder(&o)) {
			t.Fatalf("order %d: normOrder encodes differently", i)
		}
		if p := sharedMemory(reflect.ValueOf(n), reflect.ValueOf(o)); p != "" {
			t.Fatalf("order %d: normOrder shares %s with its source", i, p)
		}

		var k Task
		fillRandom(r, reflect.ValueOf(&k).Elem())
		dect, err := decodeTask(encodeTask(&k))
		if err != nil {
			t.Fatal(err)
		}
		nt := normTask(&k)
		if !reflect.DeepEqual(nt, dect) {
			t.Fatalf("task %d: normTask\n%#v\ndecoded\n%#v", i, nt, dect)
		}
		if !bytes.Equal(encodeTask(&nt), encodeTask(&k)) {
			t.Fatalf("task %d: normTask encodes differently", i)
		}
		if p := sharedMemory(reflect.ValueOf(nt), reflect.ValueOf(k)); p != "" {
			t.Fatalf("task %d: normTask shares %s with its source", i, p)
		}
	}
}

var zones = []*time.Location{time.UTC, time.Local, time.FixedZone("CST", 8*3600), time.FixedZone("X", -3*3600-1800)}

// fillRandom fills every exported field of v at random.
func fillRandom(r *rand.Rand, v reflect.Value) {
	if v.Type() == reflect.TypeOf(time.Time{}) {
		var t time.Time
		switch r.IntN(4) {
		case 0:
			t = time.Now() // with a monotonic reading
		case 1:
		default:
			t = time.Unix(r.Int64N(1<<36)-1<<35, r.Int64N(1e9)).In(zones[r.IntN(len(zones))])
		}
		v.Set(reflect.ValueOf(t))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString([]string{"", "a", "张三", "SO-0001", "\x00x"}[r.IntN(5)] + fmt.Sprint(r.IntN(3)))
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 1)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(r.Int64N(1<<20) - 1<<19)
	case reflect.Uint, reflect.Uint64, reflect.Uint32, reflect.Uint8:
		v.SetUint(r.Uint64N(200))
	case reflect.Float64:
		v.SetFloat(r.Float64()*1000 - 500)
	case reflect.Pointer:
		if r.IntN(3) > 0 {
			p := reflect.New(v.Type().Elem())
			fillRandom(r, p.Elem())
			v.Set(p)
		}
	case reflect.Slice:
		switch n := r.IntN(5); n {
		case 0: // nil
		case 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 2))
		default:
			s := reflect.MakeSlice(v.Type(), n-1, n-1)
			for i := range n - 1 {
				fillRandom(r, s.Index(i))
			}
			v.Set(s)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fillRandom(r, v.Field(i))
			}
		}
	case reflect.Map:
		switch n := r.IntN(4); n {
		case 0: // nil
		case 1:
			v.Set(reflect.MakeMap(v.Type()))
		default:
			m := reflect.MakeMap(v.Type())
			for range n {
				k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
				fillRandom(r, k)
				fillRandom(r, e)
				m.SetMapIndex(k, e)
			}
			v.Set(m)
		}
	default:
		panic("fillRandom: " + v.Type().String())
	}
}

// sharedMemory names a slice or pointer of a that points where b's does.
func sharedMemory(a, b reflect.Value) string {
	switch a.Kind() {
	case reflect.Pointer:
		if !a.IsNil() && !b.IsNil() {
			if a.Pointer() == b.Pointer() {
				return a.Type().String()
			}
			return sharedMemory(a.Elem(), b.Elem())
		}
	case reflect.Slice:
		if a.Len() > 0 && b.Len() > 0 && a.Pointer() == b.Pointer() {
			return a.Type().String()
		}
		for i := range min(a.Len(), b.Len()) {
			if p := sharedMemory(a.Index(i), b.Index(i)); p != "" {
				return p
			}
		}
	case reflect.Map:
		if a.Len() > 0 && b.Len() > 0 && a.Pointer() == b.Pointer() {
			return a.Type().String()
		}
	case reflect.Struct:
		if a.Type() == reflect.TypeOf(time.Time{}) {
			return ""
		}
		for i := range a.NumField() {
			if a.Type().Field(i).IsExported() {
				if p := sharedMemory(a.Field(i), b.Field(i)); p != "" {
					return p
				}
			}
		}
	}
	return ""
}

// memoCopy's clones of SKUs, locations and lots equal deepCopy's and share
// no memory with their source (a pointer or list field added to one of
// them that recmemo.go's clone does not copy fails here).
func TestMemoCopyMatchesDeepCopy(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	check := func(name string, v, got, want any) {
		t.Helper()
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s: memoCopy %#v, deepCopy %#v", name, got, want)
		}
		if p := sharedMemory(reflect.ValueOf(got), reflect.ValueOf(v)); p != "" {
			t.Fatalf("%s: memoCopy shares %s with its source", name, p)
		}
	}
	for range 2000 {
		var s SKU
		fillRandom(r, reflect.ValueOf(&s).Elem())
		check("sku", s, memoCopy(s), deepCopy(s))
		var l Location
		fillRandom(r, reflect.ValueOf(&l).Elem())
		check("location", l, memoCopy(l), deepCopy(l))
		var lot Lot
		fillRandom(r, reflect.ValueOf(&lot).Elem())
		check("lot", lot, memoCopy(lot), deepCopy(lot))
	}
}

// A replay raises GOGC and sets a memory limit only where the process has
// not set its own, and the last of replays at once restores the process's.
func TestReplayGC(t *testing.T) {
	was := debug.SetGCPercent(100)
	wasLimit := debug.SetMemoryLimit(math.MaxInt64)
	t.Cleanup(func() { debug.SetGCPercent(was); debug.SetMemoryLimit(wasLimit) })
	one := replayGC()
	if p := debug.SetGCPercent(-1); p != replayGCPercent {
		t.Errorf("GOGC %d in a replay, want %d", p, replayGCPercent)
	}
	debug.SetGCPercent(replayGCPercent)
	limit := debug.SetMemoryLimit(-1)
	if limit == math.MaxInt64 || limit < replayHeadroom {
		t.Errorf("memory limit %d in a replay", limit)
	}
	two := replayGC()
	one()
	one() // twice: once
	if p := debug.SetGCPercent(-1); p != replayGCPercent {
		t.Errorf("GOGC %d while a second replay runs", p)
	}
	debug.SetGCPercent(replayGCPercent)
	two()
	if p := debug.SetGCPercent(-1); p != 100 {
		t.Errorf("GOGC %d after the replays, want 100", p)
	}
	debug.SetGCPercent(100)
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		t.Errorf("memory limit %d after the replays", l)
	}

	// the process's own settings are kept
	debug.SetGCPercent(500)
	debug.SetMemoryLimit(1 << 40)
	restore := replayGC()
	if p := debug.SetGCPercent(-1); p != 500 {
		t.Errorf("GOGC %d in a replay of a process with 500", p)
	}
	debug.SetGCPercent(500)
	if l := debug.SetMemoryLimit(-1); l != 1<<40 {
		t.Errorf("memory limit %d in a replay of a process with its own", l)
	}
	restore()
	if p := debug.SetGCPercent(-1); p != 500 {
		t.Errorf("GOGC %d after, want 500", p)
	}
}

// normWork gives what a work record's bytes decode to (normHourWork,
// normWorkUnit, normWorkLast), for records filled at random, and shares no
// memory with its source.
func TestNormWorkMatchesCodec(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for i := range 3000 {
		var h HourWork
		fillRandom(r, reflect.ValueOf(&h).Elem())
		normWorkCase(t, i, h, decodeHourWork)
		var u WorkUnit
		fillRandom(r, reflect.ValueOf(&u).Elem())
		normWorkCase(t, i, u, decodeWorkUnit)
		var w workLast
		fillRandom(r, reflect.ValueOf(&w).Elem())
		if r.IntN(10) == 0 {
			w.At = time.Unix(0, 0) // reads back as no time
		}
		normWorkCase(t, i, w, decodeWorkLast)
	}
}

func normWorkCase[T interface{ encode() []byte }](t *testing.T, i int, v T, decode func([]byte) (T, error)) {
	t.Helper()
	norm, enc, ok := workCodec[T]()
	if !ok {
		t.Fatalf("%T: not held decoded", v)
	}
	dec, err := decode(v.encode())
	if err != nil {
		t.Fatal(err)
	}
	n := norm(v)
	if !reflect.DeepEqual(n, dec) {
		t.Fatalf("%T %d: norm\n%#v\ndecoded\n%#v", v, i, n, dec)
	}
	if !bytes.Equal(enc(n), v.encode()) {
		t.Fatalf("%T %d: norm encodes differently", v, i)
	}
	if p := sharedMemory(reflect.ValueOf(n), reflect.ValueOf(v)); p != "" {
		t.Fatalf("%T %d: norm shares %s with its source", v, i, p)
	}
}

// normPack gives what a packing state's JSON decodes to (as getPack reads
// it), for states filled at random, shares no memory with its source, and
// refuses a state with a string that is not UTF-8.
func TestNormPackMatchesJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 3000 {
		var ps PackState
		fillRandom(r, reflect.ValueOf(&ps).Elem())
		raw, err := json.Marshal(ps)
		if err != nil {
			t.Fatal(err)
		}
		dec := PackState{Owner: "o", Order: "n"}
		if err := json.Unmarshal(raw, &dec); err != nil {
			t.Fatal(err)
		}
		n, ok := normPack(ps)
		if !ok {
			t.Fatalf("%d: refused %#v", i, ps)
		}
		if !reflect.DeepEqual(n, dec) {
			t.Fatalf("%d: normPack\n%#v\ndecoded\n%#v", i, n, dec)
		}
		if enc := (&packRec{n}).encode(); !bytes.Equal(enc, raw) {
			t.Fatalf("%d: normPack encodes differently", i)
		}
		if p := sharedMemory(reflect.ValueOf(n), reflect.ValueOf(ps)); p != "" {
			t.Fatalf("%d: normPack shares %s with its source", i, p)
		}
	}
	bad := PackState{Owner: "o", Order: "n", Parcels: []Parcel{{Items: []PackedItem{{SKU: "A", Serials: []string{"\xff"}}}}}}
	if _, ok := normPack(bad); ok {
		t.Error("a serial that is not UTF-8 held decoded")
	}
}
