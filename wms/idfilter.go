package wms

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"math/bits"
)

// An ID table of version 2 (idtable.go) carries a filter after its index:
// a blocked Bloom filter of its IDs' hashes, so a lookup of an ID the
// table does not hold (every new event's, once the live buckets missed)
// almost never reads one of its blocks. A year of month tables would
// otherwise cost a new event twelve block reads.
//
// The filter is idFilterBitsPerID bits an ID in lines of 512 bits (one
// cache line); an ID's idFilterProbes bits all fall in one line, chosen by
// its hash, so a lookup touches one line of one filter page. Pages are
// 4096 bytes: idFilterLines lines, zeros, CRC-32C of the page; the filter
// begins at the first 4096-byte boundary after the index. As blocks are,
// a page's CRC is checked by the first lookup that reads it, so a damaged
// filter is an error, never "not a duplicate".
//
// Size and rate: 12 bits an ID (1.5 bytes; 3.75 % on the table's 40),
// about 150 MB for a peak month of 100 million IDs, mapped, so it is the
// page cache's (not the heap's) and read a line at a time. The chance that
// a table's filter passes an ID it does not hold is about 0.5 %
// (TestIDFilterFalsePositives measures it): with 24 month tables a new
// event reads a block about once in eight events instead of 24 times each.
//
// The filter is built from the table's own blocks when the table is
// finished (idTableWriter.finish), so it is a function of the records
// alone and a standby that builds the same records gets the same bytes
// (the same digest) as the primary.
const (
	idFilterBitsPerID = 12
	idFilterProbes    = 8
	idFilterLineBytes = 64
	idFilterLines     = (idBlockSize - 4) / idFilterLineBytes // 63 a page
)

// idFilterPages is how many pages the filter of count IDs takes.
func idFilterPages(count uint64) uint64 {
	lines := (count*idFilterBitsPerID + 511) / 512
	return max((lines+idFilterLines-1)/idFilterLines, 1)
}

// idFilterProbe is where an ID's hash falls: its line among lines, and
// the bits in it (two 32-bit hashes, bit i at h1 + i·h2 mod 512). The line
// is chosen by the hash's first 64 bits; the bits by a mix of all 96, so
// they do not follow the line.
func idFilterProbe(h idHash, lines uint64) (line uint64, h1, h2 uint32) {
	hi, lo := binary.BigEndian.Uint64(h[:8]), binary.BigEndian.Uint32(h[8:])
	line, _ = bits.Mul64(hi, lines)
	x := hi ^ uint64(lo)<<17 ^ uint64(lo)>>7
	x ^= x >> 33
	x *= 0xff51afd7ed558ccd
	x ^= x >> 33
	x *= 0xc4ceb9fe1a85ec53
	x ^= x >> 33
	return line, uint32(x), uint32(x>>32) | 1
}

// idFilterSet sets an ID's bits in its line (64 bytes).
func idFilterSet(l []byte, h1, h2 uint32) {
	for i := range uint32(idFilterProbes) {
		b := (h1 + i*h2) & 511
		l[b>>3] |= 1 << (b & 7)
	}
}

// idFilterHas tells whether all an ID's bits are set in its line.
func idFilterHas(l []byte, h1, h2 uint32) bool {
	for i := range uint32(idFilterProbes) {
		b := (h1 + i*h2) & 511
		if l[b>>3]&(1<<(b&7)) == 0 {
			return false
		}
	}
	return true
}

// idFilterLine is the page and the offset in it of a line.
func idFilterLine(line uint64) (page uint64, off int) {
	return line / idFilterLines, int(line%idFilterLines) * idFilterLineBytes
}

// buildIDFilter reads the records of a table's blocks from r (blocks of
// them, count in all) and returns its filter's pages, CRCs made.
func buildIDFilter(r io.ReaderAt, blocks, count uint64) ([]byte, error) {
	pages := idFilterPages(count)
	lines := pages * idFilterLines
	f := make([]byte, pages*idBlockSize)
	const chunk = 256 // blocks a read
	buf := make([]byte, chunk*idBlockSize)
	left := count
	for b := uint64(0); b < blocks; b += chunk {
		n := min(chunk, blocks-b)
		if _, err := r.ReadAt(buf[:n*idBlockSize], idBlockSize+int64(b)*idBlockSize); err != nil {
			return nil, fmt.Errorf("ID table: read back for the filter: %w", err)
		}
		for i := range n {
			blk := buf[i*idBlockSize:]
			for j := 0; j < idBlockRecs && left > 0; j++ {
				var h idHash
				copy(h[:], blk[j*idRecSize:])
				line, h1, h2 := idFilterProbe(h, lines)
				p, off := idFilterLine(line)
				idFilterSet(f[p*idBlockSize+uint64(off):], h1, h2)
				left--
			}
		}
	}
	for p := range pages {
		pg := f[p*idBlockSize : (p+1)*idBlockSize]
		binary.BigEndian.PutUint32(pg[idBlockSize-4:], crc32.Checksum(pg[:idBlockSize-4], castagnoli))
	}
	return f, nil
}

// mayHold tells whether the table may hold h: false only when its filter
// says it does not (a version-1 table has none: true). The page's CRC is
// checked by the first lookup that reads it.
func (t *idTable) mayHold(h idHash) (bool, error) {
	if t.fpages == 0 {
		return true, nil
	}
	line, h1, h2 := idFilterProbe(h, t.fpages*idFilterLines)
	p, off := idFilterLine(line)
	var pg []byte
	if t.filter != nil {
		pg = t.filter[p*idBlockSize : (p+1)*idBlockSize]
	} else {
		o := t.foff + int64(p)*idBlockSize
		pg = t.m[o : o+idBlockSize]
	}
	bit, word := uint32(1)<<(p%32), &t.fverified[p/32]
	if word.Load()&bit == 0 {
		if crc32.Checksum(pg[:idBlockSize-4], castagnoli) != binary.BigEndian.Uint32(pg[idBlockSize-4:]) {
			return false, &IDTableError{Path: t.name, Why: fmt.Sprintf("filter page %d checksum", p)}
		}
		word.Or(bit)
	}
	return idFilterHas(pg[off:off+idFilterLineBytes], h1, h2), nil
}
