package wms

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/bits"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	bolt "go.etcd.io/bbolt"
)

// An ID table keeps, compactly and immutably, the IDs and keys that an
// archiving run moved out of event_ids and event_keys (idarchive.go), so a
// repeat of an old event ID or Idempotency-Key is still a duplicate and a
// reused key with another request is still refused.
//
// A file DATA/archive/YYYY-MM.<first 16 hex of its SHA-256>.ids (one run's
// table, never rewritten: runtables.go) is
//
//	header   4096 bytes: "TALLYIDS", version, record size, records, blocks,
//	         CRC-32C of those
//	blocks   4096 bytes each: up to idBlockRecs records sorted by their
//	         bytes (the ID's hash first), zeros, CRC-32C of the block
//	index    the first hash of every block, CRC-32C of the index
//	filter   version 2: from the next 4096-byte boundary, the pages of a
//	         filter of the IDs (idfilter.go), so a miss reads no block
//
// (a version-1 table, written before the filter, has none and is read as
// it was: a lookup reads a block of it),
//
// and a record (idRecSize bytes) is
//
//	hash     12  SHA-256 of the ID, its first 96 bits
//	seq       6  the event the ID named (event_ids) or the key's record
//	             was first used for (event_keys)
//	flags     1  idFlagEvent: the ID is an event's; idFlagKey: a keyed
//	             command's record
//	reserved  4  zero (the event's type, for event.id_reused, is read
//	             from the event: the move reads no event, which may have
//	             left the live log already)
//	actor     4  hash of the record's actor (key.other_actor)
//	target    5  hash of the record's type and target (key.other_request;
//	             a natural key's match)
//	request   8  hash of the record's request digest (key.changed)
//
// Open reads the header and the index (12 bytes a block: about 12 MB for a
// peak month of 100 million IDs) and keeps the index in memory, so a lookup
// reads one block per file: in place, the file being mapped read-only (a
// pread where it cannot be: idtable_other.go), with no system call once the
// block is in the page cache. A block's CRC is checked by the first lookup
// that reads it (a bit a block remembers it), so a damaged block is an
// error, never "not a duplicate". A file
// shorter or longer than its header says, or whose header or index does not
// check, is refused at Open. Its SHA-256 is named by the ids.archived
// events that moved its entries (and kept in meta ids_table:NAME); `tally
// check` reads every file whole against it.
//
// Width of the hash: with n IDs in the tables and m new IDs looked up, the
// chance that some new ID's 96 bits equal an archived one's is about
// n·m/2^96. A year of peak (n = m = 1e9) gives 1e18/7.9e28 ≈ 1.3e-11, below
// 1e-9; the other fields only tell a conflict from a duplicate and are
// compared after the ID's hash matched.
const (
	idRecSize   = 40
	idBlockSize = 4096
	idBlockRecs = (idBlockSize - 4) / idRecSize // 102
	idHashSize  = 12
	idVersion   = 2 // with a filter (idfilter.go)
	idVersion1  = 1 // without: still read, and written for a standby whose primary wrote it so (buildIDTable)

	idFlagEvent byte = 1
	idFlagKey   byte = 2
)

var idMagic = []byte("TALLYIDS")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// idHash is an ID's hash as the tables keep it.
type idHash [idHashSize]byte

func hashID(id string) idHash {
	s := sha256.Sum256([]byte(id))
	var h idHash
	copy(h[:], s[:idHashSize])
	return h
}

// shortHash is a field's hash: the first n bytes of SHA-256 of its parts.
func shortHash(n int, parts ...string) []byte {
	s := sha256.New()
	for i, p := range parts {
		if i > 0 {
			s.Write([]byte{0})
		}
		s.Write([]byte(p))
	}
	return s.Sum(nil)[:n]
}

// idRecord is one record of a table, as stored.
type idRecord [idRecSize]byte

func (r *idRecord) hash() (h idHash) { copy(h[:], r[:idHashSize]); return h }
func (r *idRecord) seq() uint64 {
	var b [8]byte
	copy(b[2:], r[12:18])
	return binary.BigEndian.Uint64(b[:])
}
func (r *idRecord) flags() byte { return r[18] }

// newIDRecord makes the record of one ID: its sequence number, whether it
// is an event's ID, and its key record (rec, when keyed).
func newIDRecord(id string, seq uint64, event bool, rec *keyRecord) idRecord {
	var r idRecord
	h := hashID(id)
	copy(r[:12], h[:])
	var s [8]byte
	binary.BigEndian.PutUint64(s[:], seq)
	copy(r[12:18], s[2:])
	if event {
		r[18] |= idFlagEvent
	}
	if rec != nil {
		r[18] |= idFlagKey
		copy(r[23:27], shortHash(4, "actor", rec.Actor))
		copy(r[27:32], shortHash(5, "target", rec.Type, rec.Target))
		copy(r[32:40], shortHash(8, "request", rec.Digest))
	}
	return r
}

// binds is keyRecord.binds for an archived record: the same refusals,
// compared by their hashes.
func (r *idRecord) binds(k keyed, digest string) error {
	target := bytes.Equal(r[27:32], shortHash(5, "target", k.typ, k.target))
	switch {
	case k.natural && target:
		return nil
	case !bytes.Equal(r[23:27], shortHash(4, "actor", k.actor)):
		return Errf(CodeConflict, "key.other_actor", "key", k.id)
	case !target:
		return Errf(CodeConflict, "key.other_request_archived", "key", k.id, "seq", fmt.Sprint(r.seq()))
	case !bytes.Equal(r[32:40], shortHash(8, "request", digest)):
		return Errf(CodeConflict, "key.changed", "key", k.id)
	}
	return nil
}

// idTable is one open table file.
type idTable struct {
	name   string
	f      *os.File    // nil: read from ra alone (the fuzz test)
	ra     io.ReaderAt // f, or the bytes
	size   int64
	count  uint64
	index  []idHash // first hash of every block
	digest string   // SHA-256 of the file as the store committed it
	// m is the file mapped (nil: blocks are read with pread); verified
	// has a bit for every block whose CRC a lookup checked already.
	m        []byte
	verified []atomic.Uint32
	// fpages is the filter's pages (0: a version-1 table, none), at foff;
	// filter holds them when the table is not mapped; fverified has a bit
	// for every page whose CRC a lookup checked already.
	fpages    uint64
	foff      int64
	filter    []byte
	fverified []atomic.Uint32
}

// IDTableError is a table file that cannot be read as one. Kind is the
// table's kind ("ID table", "lot index"; "" an ID table); Unwrap gives the
// domain error (ids.table_damaged, lots.table_damaged) an operator reads
// in zh-CN or en.
type IDTableError struct {
	Path string
	Why  string
	Kind string
}

func (e *IDTableError) kind() string {
	if e.Kind == "" {
		return idsKind.what
	}
	return e.Kind
}

func (e *IDTableError) Error() string {
	return fmt.Sprintf("%s %s is damaged (%s): restore the archive folder from the backup", e.kind(), e.Path, e.Why)
}

func (e *IDTableError) Unwrap() error {
	key := idsKind.damaged
	if e.kind() == lotsKind.what {
		key = lotsKind.damaged
	}
	if e.kind() == ordsKind.what { // ordertable.go
		key = ordsKind.damaged
	}
	return Errf(CodeInternal, key, "file", e.Path, "why", e.Why)
}

func idTableSize(blocks uint64) int64 {
	return idBlockSize + int64(blocks)*idBlockSize + int64(blocks)*idHashSize + 4
}

// idFilterOffset is where a version-2 table's filter begins.
func idFilterOffset(blocks uint64) int64 {
	return (idTableSize(blocks) + idBlockSize - 1) / idBlockSize * idBlockSize
}

// openIDTable opens a table and reads its index.
func openIDTable(path string) (*idTable, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	t, err := readIDTable(f, fi.Size(), path)
	if err != nil {
		f.Close()
		return nil, err
	}
	t.f, t.size = f, fi.Size()
	t.m = mapTable(f, fi.Size())
	if t.m == nil {
		if err := t.loadFilter(); err != nil {
			f.Close()
			return nil, err
		}
	}
	return t, nil
}

// readIDTable reads a table's header, index and filter from f (size
// bytes), for lookups that read it with ReadAt.
func readIDTable(f io.ReaderAt, size int64, path string) (*idTable, error) {
	t, err := readIDTableHead(f, size, path)
	if err != nil {
		return nil, err
	}
	return t, t.loadFilter()
}

// loadFilter reads the filter's pages into memory (a table not mapped).
func (t *idTable) loadFilter() error {
	if t.fpages == 0 {
		return nil
	}
	t.filter = make([]byte, t.fpages*idBlockSize)
	if _, err := t.ra.ReadAt(t.filter, t.foff); err != nil {
		return &IDTableError{Path: t.name, Why: fmt.Sprintf("filter: %v", err)}
	}
	return nil
}

// readIDTableHead reads a table's header and index from f (size bytes).
func readIDTableHead(f io.ReaderAt, size int64, path string) (*idTable, error) {
	bad := func(why string) error { return &IDTableError{Path: path, Why: why} }
	head := make([]byte, 44)
	if _, err := f.ReadAt(head, 0); err != nil {
		return nil, bad("no header")
	}
	if !bytes.Equal(head[:8], idMagic) {
		return nil, bad("not an ID table")
	}
	v := binary.BigEndian.Uint32(head[8:12])
	crcAt := 32 // version 1: no filter
	if v == idVersion {
		crcAt = 40
	}
	if crc32.Checksum(head[:crcAt], castagnoli) != binary.BigEndian.Uint32(head[crcAt:crcAt+4]) {
		return nil, bad("header checksum")
	}
	if v != idVersion && v != idVersion1 {
		return nil, bad(fmt.Sprintf("version %d", v))
	}
	if binary.BigEndian.Uint32(head[12:16]) != idRecSize {
		return nil, bad("record size")
	}
	count, blocks := binary.BigEndian.Uint64(head[16:24]), binary.BigEndian.Uint64(head[24:32])
	if blocks > 1<<32 || count > blocks*idBlockRecs || count <= (max(blocks, 1)-1)*idBlockRecs {
		return nil, bad("record count")
	}
	var fpages uint64
	want := idTableSize(blocks)
	if v == idVersion {
		if fpages = binary.BigEndian.Uint64(head[32:40]); fpages != idFilterPages(count) {
			return nil, bad("filter size")
		}
		want = idFilterOffset(blocks) + int64(fpages)*idBlockSize
	}
	if size != want {
		return nil, bad(fmt.Sprintf("%d bytes, its header says %d: cut short or added to", size, want))
	}
	raw := make([]byte, blocks*idHashSize+4)
	if _, err := f.ReadAt(raw, idBlockSize+int64(blocks)*idBlockSize); err != nil {
		return nil, bad("no index")
	}
	n := len(raw) - 4
	if crc32.Checksum(raw[:n], castagnoli) != binary.BigEndian.Uint32(raw[n:]) {
		return nil, bad("index checksum")
	}
	t := &idTable{name: filepath.Base(path), ra: f, count: count, index: make([]idHash, blocks), verified: make([]atomic.Uint32, (blocks+31)/32)}
	if fpages > 0 {
		t.fpages, t.foff, t.fverified = fpages, idFilterOffset(blocks), make([]atomic.Uint32, (fpages+31)/32)
	}
	for i := range t.index {
		copy(t.index[i][:], raw[i*idHashSize:])
		if i > 0 && bytes.Compare(t.index[i-1][:], t.index[i][:]) > 0 {
			return nil, bad("index out of order")
		}
	}
	return t, nil
}

// block reads block i and checks it; it returns its records' bytes. A
// mapped table is read in place, each block's CRC checked by the first
// lookup that reads it (and by every read when all is set: each).
func (t *idTable) block(i int, buf []byte, all bool) ([]byte, error) {
	off := idBlockSize + int64(i)*idBlockSize
	bit, word := uint32(1)<<(i%32), &t.verified[i/32]
	if t.m != nil {
		buf = t.m[off : off+idBlockSize]
	} else if _, err := t.ra.ReadAt(buf[:idBlockSize], off); err != nil {
		return nil, &IDTableError{Path: t.name, Why: fmt.Sprintf("block %d: %v", i, err)}
	}
	if all || t.m == nil || word.Load()&bit == 0 {
		if crc32.Checksum(buf[:idBlockSize-4], castagnoli) != binary.BigEndian.Uint32(buf[idBlockSize-4:idBlockSize]) {
			return nil, &IDTableError{Path: t.name, Why: fmt.Sprintf("block %d checksum", i)}
		}
		word.Or(bit)
	}
	n := idBlockRecs
	if i == len(t.index)-1 {
		n = int(t.count - uint64(i)*idBlockRecs)
	}
	return buf[:n*idRecSize], nil
}

var idBlockPool = sync.Pool{New: func() any { b := make([]byte, idBlockSize); return &b }}

// lookup finds the record of an ID's hash: one block read.
func (t *idTable) lookup(h idHash) (idRecord, bool, error) {
	var r idRecord
	if ok, err := t.mayHold(h); !ok || err != nil {
		return r, false, err
	}
	// the last block whose first hash is at most h
	hi, lo := binary.BigEndian.Uint64(h[:8]), binary.BigEndian.Uint32(h[8:])
	above := func(x []byte) bool { // x > h
		a := binary.BigEndian.Uint64(x[:8])
		return a > hi || a == hi && binary.BigEndian.Uint32(x[8:12]) > lo
	}
	// hashes are uniform: the block is where h falls in [0, 2^64), give or
	// take a few (firstTrue walks out from there), a few cache lines of
	// the index rather than a binary search's twenty over all of it
	nb := len(t.index)
	guess, _ := bits.Mul64(hi, uint64(nb))
	i := firstTrue(nb, int(guess), func(m int) bool { return above(t.index[m][:]) }) - 1
	if i < 0 {
		return r, false, nil
	}
	bp := idBlockPool.Get().(*[]byte)
	defer idBlockPool.Put(bp)
	recs, err := t.block(i, *bp, false)
	if err != nil {
		return r, false, err
	}
	// the first record whose hash is at least h, from where h falls
	// between this block's first hash and the next's
	n := len(recs) / idRecSize
	first, next := binary.BigEndian.Uint64(t.index[i][:8]), uint64(math.MaxUint64)
	if i+1 < nb {
		next = binary.BigEndian.Uint64(t.index[i+1][:8])
	}
	g := 0
	if next > first {
		g = min(int(float64(hi-first)/float64(next-first)*float64(n)), n-1)
	}
	j := firstTrue(n, g, func(m int) bool {
		x := recs[m*idRecSize:]
		a := binary.BigEndian.Uint64(x[:8])
		return a > hi || a == hi && binary.BigEndian.Uint32(x[8:12]) >= lo
	})
	if j < n && bytes.Equal(recs[j*idRecSize:j*idRecSize+idHashSize], h[:]) {
		copy(r[:], recs[j*idRecSize:])
		return r, true, nil
	}
	return r, false, nil
}

// each calls fn with every record, in order, checking every block.
func (t *idTable) each(fn func(r *idRecord) error) error {
	buf := make([]byte, idBlockSize)
	var prev idRecord
	for i := range t.index {
		recs, err := t.block(i, buf, true)
		if err != nil {
			return err
		}
		for j := 0; j < len(recs); j += idRecSize {
			var r idRecord
			copy(r[:], recs[j:])
			if (i > 0 || j > 0) && bytes.Compare(prev[:], r[:]) >= 0 {
				return &IDTableError{Path: t.name, Why: fmt.Sprintf("block %d out of order", i)}
			}
			if j == 0 && r.hash() != t.index[i] {
				return &IDTableError{Path: t.name, Why: fmt.Sprintf("block %d does not begin where the index says", i)}
			}
			prev = r
			if ok, err := t.mayHold(r.hash()); err != nil || !ok {
				if err == nil {
					err = &IDTableError{Path: t.name, Why: fmt.Sprintf("block %d: a record its filter does not hold", i)}
				}
				return err
			}
			if err := fn(&r); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *idTable) close() error {
	unmapTable(t.m)
	t.m = nil
	if t.f == nil {
		return nil
	}
	return t.f.Close()
}

// fileDigest is the SHA-256 of a whole file, in hex.
func fileDigest(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	s := sha256.New()
	if _, err := io.Copy(s, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(s.Sum(nil)), nil
}

// idTableWriter writes a table from records given in order.
type idTableWriter struct {
	f      *os.File
	w      *bufio.Writer
	block  []byte
	n      int // records in block
	count  uint64
	index  []byte
	last   idRecord
	closed bool
	// version is what finish writes: idVersion (with a filter) unless set
	// to idVersion1
	version uint32
}

// createIDTable writes a new table at path, which must not exist: a file
// that exists may be a table mapped by a store (truncating it would fault
// every lookup that reads it).
func createIDTable(path string) (*idTableWriter, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return nil, err
	}
	return newIDTableWriter(f)
}

// createIDTableAt writes a table into the empty file at path, which the
// caller just created under a name of its own (os.CreateTemp).
func createIDTableAt(path string) (*idTableWriter, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	if fi, err := f.Stat(); err != nil || fi.Size() != 0 {
		f.Close()
		return nil, fmt.Errorf("%s is not a new empty file", path)
	}
	return newIDTableWriter(f)
}

func newIDTableWriter(f *os.File) (*idTableWriter, error) {
	w := &idTableWriter{f: f, w: bufio.NewWriterSize(f, 1<<20), block: make([]byte, idBlockSize), version: idVersion}
	// the header is written last, at its place (finish)
	if _, err := w.w.Write(make([]byte, idBlockSize)); err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

// add appends a record; records come in increasing order, equal ones once.
func (w *idTableWriter) add(r idRecord) error {
	if w.count > 0 {
		switch c := bytes.Compare(w.last[:], r[:]); {
		case c == 0:
			return nil
		case c > 0:
			return fmt.Errorf("ID table: records out of order")
		}
	}
	if w.n == 0 {
		w.index = append(w.index, r[:idHashSize]...)
	}
	copy(w.block[w.n*idRecSize:], r[:])
	w.n++
	w.count++
	w.last = r
	if w.n == idBlockRecs {
		return w.flushBlock()
	}
	return nil
}

func (w *idTableWriter) flushBlock() error {
	clear(w.block[w.n*idRecSize:])
	binary.BigEndian.PutUint32(w.block[idBlockSize-4:], crc32.Checksum(w.block[:idBlockSize-4], castagnoli))
	w.n = 0
	_, err := w.w.Write(w.block)
	return err
}

// finish writes the index and the header, syncs the file and returns its
// SHA-256.
func (w *idTableWriter) finish() (string, error) {
	defer w.f.Close()
	w.closed = true
	if w.n > 0 {
		if err := w.flushBlock(); err != nil {
			return "", err
		}
	}
	blocks := uint64(len(w.index) / idHashSize)
	idx := binary.BigEndian.AppendUint32(w.index, crc32.Checksum(w.index, castagnoli))
	if _, err := w.w.Write(idx); err != nil {
		return "", err
	}
	if err := w.w.Flush(); err != nil {
		return "", err
	}
	head := make([]byte, idBlockSize)
	copy(head, idMagic)
	binary.BigEndian.PutUint32(head[8:], w.version)
	binary.BigEndian.PutUint32(head[12:], idRecSize)
	binary.BigEndian.PutUint64(head[16:], w.count)
	binary.BigEndian.PutUint64(head[24:], blocks)
	if w.version == idVersion1 {
		binary.BigEndian.PutUint32(head[32:], crc32.Checksum(head[:32], castagnoli))
	} else {
		// the filter, from the blocks as written (read back: the page
		// cache has them), at the next page boundary
		f, err := buildIDFilter(w.f, blocks, w.count)
		if err != nil {
			return "", err
		}
		if _, err := w.f.WriteAt(f, idFilterOffset(blocks)); err != nil {
			return "", err
		}
		binary.BigEndian.PutUint64(head[32:], uint64(len(f)/idBlockSize))
		binary.BigEndian.PutUint32(head[40:], crc32.Checksum(head[:40], castagnoli))
	}
	if _, err := w.f.WriteAt(head, 0); err != nil {
		return "", err
	}
	if err := w.f.Sync(); err != nil {
		return "", err
	}
	return fileDigest(w.f.Name())
}

func (w *idTableWriter) abort() {
	if !w.closed {
		w.f.Close()
		os.Remove(w.f.Name())
	}
}

// idTables are a store's open tables, by file name. They are found from
// a transaction by its database (tablesOf), so every lookup that has a
// transaction has them.
type idTables struct {
	mu    sync.RWMutex
	files map[string]*idTable
	list  []*idTable
}

var openTables sync.Map // *bolt.DB -> *idTables

func tablesOf(db *bolt.DB) *idTables {
	v, ok := openTables.Load(db)
	if !ok {
		return nil
	}
	return v.(*idTables)
}

// install puts t in place of the table of its name (closing the old one).
func (ts *idTables) install(t *idTable) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.files == nil {
		ts.files = map[string]*idTable{}
	}
	if old := ts.files[t.name]; old != nil {
		old.close() // no lookup holds it: they hold the read lock
	}
	ts.files[t.name] = t
	ts.list = ts.list[:0]
	for _, x := range ts.files {
		ts.list = append(ts.list, x)
	}
	sort.Slice(ts.list, func(i, j int) bool { return ts.list[i].name > ts.list[j].name }) // newest month first
}

// remove closes and drops the table of a name.
func (ts *idTables) remove(name string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if old := ts.files[name]; old != nil {
		old.close()
		delete(ts.files, name)
		ts.list = slices.DeleteFunc(ts.list, func(x *idTable) bool { return x == old })
	}
}

func (ts *idTables) table(name string) *idTable {
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	return ts.files[name]
}

// lookup finds an ID's hash in the tables.
func (ts *idTables) lookup(h idHash) (idRecord, bool, error) {
	ts.mu.RLock()
	defer ts.mu.RUnlock()
	for _, t := range ts.list {
		r, ok, err := t.lookup(h)
		if err != nil || ok {
			return r, ok, err
		}
	}
	return idRecord{}, false, nil
}

func (ts *idTables) closeAll() {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, t := range ts.files {
		t.close()
	}
	ts.files, ts.list = nil, nil
}

// archivedID is where every lookup of an event ID or a key that missed
// event_ids and event_keys goes next: the ID tables of the store the
// transaction reads. An error is a damaged table: never "not a duplicate".
func archivedID(tx *txn, id string) (idRecord, bool, error) {
	ts := tablesOf(tx.DB())
	if ts == nil {
		return idRecord{}, false, nil
	}
	ts.mu.RLock()
	n := len(ts.list)
	ts.mu.RUnlock()
	if n == 0 {
		return idRecord{}, false, nil
	}
	return ts.lookup(hashID(id))
}

// archivedIDEvent is appendTx's answer for an event whose ID an ID table
// holds: a duplicate of its first event (read from the log, wherever it
// is), or refused when that was of another type.
func archivedIDEvent(tx *txn, ev Event, r idRecord) (Event, bool, error) {
	prior, err := eventAt(tx, r.seq())
	if err != nil {
		return Event{}, false, err
	}
	if prior.Type != ev.Type {
		return Event{}, false, Errf(CodeConflict, "event.id_reused", "id", ev.ID, "type", prior.Type)
	}
	return prior, true, nil
}

// firstTrue is the first m in [0, n) for which pred (false, then true) is
// true, or n: galloping out from guess, then a binary search in the
// bracket found.
func firstTrue(n, guess int, pred func(int) bool) int {
	if n == 0 {
		return 0
	}
	guess = min(max(guess, 0), n-1)
	lo, hi := guess, guess // pred(lo) is false (lo = -1: none), pred(hi) true (hi = n: none)
	if pred(guess) {
		for step := 1; ; step *= 2 {
			lo = hi - step
			if lo < 0 {
				lo = -1
				break
			}
			if !pred(lo) {
				break
			}
			hi = lo
		}
	} else {
		for step := 1; ; step *= 2 {
			hi = lo + step
			if hi >= n {
				hi = n
				break
			}
			if pred(hi) {
				break
			}
			lo = hi
		}
	}
	for hi-lo > 1 {
		m := (lo + hi) / 2
		if pred(m) {
			hi = m
		} else {
			lo = m
		}
	}
	return hi
}
