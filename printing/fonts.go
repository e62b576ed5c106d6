// Package printing renders the warehouse's printable documents (reports, labels) as PDF,
// labels also as ZPL for 203-dpi thermal label printers, and sends print jobs to printers
// (a CUPS queue, a label printer's raw TCP port, a directory, or the kiosk browser).
//
// Every document uses one TrueType font that covers both Chinese and Latin text; FindFont
// locates it and newDocument sets up a gofpdf document with it, with the settings that make
// the output byte-for-byte reproducible for the same input.
package printing

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// FontEnv names the environment variable that points at the font to use.
const FontEnv = "TALLY_FONT"

// FontPackage is the Debian package that installs the font Tally looks for by default.
const FontPackage = "fonts-arphic-gbsn00lp"

// ErrNoFont is wrapped by FindFont's error when no usable font was found in the known places.
var ErrNoFont = errors.New("printing: no usable Chinese TrueType font found")

// fontCandidates are the plain .ttf files with Chinese and Latin glyphs that Debian packages
// install, best first.
var fontCandidates = []string{
	"/usr/share/fonts/truetype/arphic-gbsn00lp/gbsn00lp.ttf",    // fonts-arphic-gbsn00lp
	"/usr/share/fonts/truetype/arphic-gkai00mp/gkai00mp.ttf",    // fonts-arphic-gkai00mp
	"/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", // fonts-droid-fallback
}

// unusableFonts are common Chinese fonts that gofpdf cannot embed; when one is present the
// error says so, so that nobody points TALLY_FONT at it.
var unusableFonts = []string{
	"/usr/share/fonts/truetype/arphic/uming.ttc",
	"/usr/share/fonts/truetype/arphic/ukai.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
	"/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
	"/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
}

// FindFont finds a TrueType font that has Chinese and Latin glyphs and that gofpdf can embed
// (a plain .ttf with glyf outlines: .ttc collections and CFF-based .otf fonts do not work).
//
// Search order: explicit if non-empty, else the environment variable TALLY_FONT if non-empty,
// else the known Debian paths. A path given explicitly or through TALLY_FONT is not silently
// skipped: if it is not usable FindFont says why. When nothing usable is found the error wraps
// ErrNoFont and names the Debian package to install.
func FindFont(explicit string) (string, error) {
	if explicit != "" {
		if err := checkFont(explicit); err != nil {
			return "", fmt.Errorf("printing: font %s: %w (install the Debian package %s and use %s)",
				explicit, err, FontPackage, fontCandidates[0])
		}
		return explicit, nil
	}
	if env := os.Getenv(FontEnv); env != "" {
		if err := checkFont(env); err != nil {
			return "", fmt.Errorf("printing: font %s (from %s): %w (install the Debian package %s, or unset %s)",
				env, FontEnv, err, FontPackage, FontEnv)
		}
		return env, nil
	}
	var problems []string
	for _, p := range fontCandidates {
		err := checkFont(p)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			problems = append(problems, fmt.Sprintf("%s: %v", p, err))
		}
	}
	for _, p := range unusableFonts {
		if _, err := os.Stat(p); err == nil {
			problems = append(problems, p+": a .ttc collection, which gofpdf cannot embed")
		}
	}
	msg := fmt.Sprintf("install the Debian package %s (apt-get install %s) or set %s to a .ttf file with Chinese glyphs",
		FontPackage, FontPackage, FontEnv)
	if len(problems) > 0 {
		msg += "; not usable: " + strings.Join(problems, "; ")
	}
	return "", fmt.Errorf("%w: %s", ErrNoFont, msg)
}

// Glyphs a usable font must have: Latin letters and digits, and common Chinese characters.
var requiredRunes = []rune{'A', 'z', '0', '9', '中', '文', '货'}

// Tables gofpdf reads when it parses and subsets a font.
var requiredTables = []string{"head", "hhea", "hmtx", "maxp", "cmap", "glyf", "loca", "name", "post"}

// checkFont tells whether gofpdf can embed the font at path and whether the font covers
// Chinese and Latin text. It reads only the table directory and the cmap table.
func checkFont(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.IsDir() {
		return errors.New("is a directory, not a font file")
	}
	size := st.Size()
	head := make([]byte, 12)
	if _, err := f.ReadAt(head, 0); err != nil {
		if errors.Is(err, io.EOF) {
			return errors.New("not a TrueType font (file too short)")
		}
		return err
	}
	switch string(head[:4]) {
	case "\x00\x01\x00\x00", "true":
	case "ttcf":
		return errors.New("is a TrueType/OpenType collection (.ttc), which gofpdf cannot embed; use a plain .ttf")
	case "OTTO":
		return errors.New("is an OpenType font with CFF outlines, which gofpdf cannot embed; use a .ttf with glyf outlines")
	case "wOFF", "wOF2":
		return errors.New("is a WOFF web font, which gofpdf cannot embed; use a plain .ttf")
	default:
		return errors.New("not a TrueType font (unknown file signature)")
	}
	numTables := int(binary.BigEndian.Uint16(head[4:6]))
	if numTables == 0 || numTables > 512 {
		return fmt.Errorf("not a TrueType font (implausible table count %d)", numTables)
	}
	dir := make([]byte, 16*numTables)
	if _, err := f.ReadAt(dir, 12); err != nil {
		return fmt.Errorf("not a TrueType font (truncated table directory): %w", err)
	}
	type table struct{ off, len int64 }
	tables := make(map[string]table, numTables)
	for i := 0; i < numTables; i++ {
		rec := dir[16*i : 16*i+16]
		t := table{int64(binary.BigEndian.Uint32(rec[8:12])), int64(binary.BigEndian.Uint32(rec[12:16]))}
		tables[string(rec[:4])] = t
	}
	for _, name := range requiredTables {
		t, ok := tables[name]
		if !ok {
			if name == "glyf" || name == "loca" {
				return errors.New("has no glyf outlines, which gofpdf needs")
			}
			return fmt.Errorf("has no %q table, which gofpdf needs", name)
		}
		if t.off+t.len > size {
			return fmt.Errorf("is damaged (table %q runs past the end of the file)", name)
		}
	}
	cm := tables["cmap"]
	if cm.len > 64<<20 {
		return errors.New("is damaged (cmap table too large)")
	}
	cmap := make([]byte, cm.len)
	if _, err := f.ReadAt(cmap, cm.off); err != nil {
		return fmt.Errorf("is damaged (cannot read cmap): %w", err)
	}
	sub, err := unicodeCmap4(cmap)
	if err != nil {
		return err
	}
	var missing []string
	for _, r := range requiredRunes {
		if cmap4Glyph(sub, r) == 0 {
			missing = append(missing, fmt.Sprintf("%c U+%04X", r, r))
		}
	}
	if len(missing) > 0 {
		kind := "Latin"
		for _, r := range requiredRunes {
			if r > 0x7f && cmap4Glyph(sub, r) == 0 {
				kind = "Chinese"
				break
			}
		}
		return fmt.Errorf("has no %s glyphs (missing %s)", kind, strings.Join(missing, ", "))
	}
	return nil
}

// unicodeCmap4 returns the format 4 Unicode subtable of a cmap table, the one gofpdf uses
// (platform 3 encoding 1, or platform 0).
func unicodeCmap4(cmap []byte) ([]byte, error) {
	if len(cmap) < 4 {
		return nil, errors.New("is damaged (cmap table too short)")
	}
	n := int(binary.BigEndian.Uint16(cmap[2:4]))
	for i := 0; i < n; i++ {
		rec := 4 + 8*i
		if rec+8 > len(cmap) {
			break
		}
		platform := binary.BigEndian.Uint16(cmap[rec:])
		encoding := binary.BigEndian.Uint16(cmap[rec+2:])
		off := int(binary.BigEndian.Uint32(cmap[rec+4:]))
		if !(platform == 3 && encoding == 1) && platform != 0 {
			continue
		}
		if off+14 > len(cmap) || binary.BigEndian.Uint16(cmap[off:]) != 4 {
			continue
		}
		length := int(binary.BigEndian.Uint16(cmap[off+2:]))
		end := off + length
		if length < 14 || end > len(cmap) {
			// Some fonts get the 16-bit length wrong for big subtables; use the rest of the table.
			end = len(cmap)
		}
		return cmap[off:end], nil
	}
	return nil, errors.New("has no Unicode character map (format 4 cmap), which gofpdf needs")
}

// cmap4Glyph looks r up in a format 4 cmap subtable and returns its glyph index (0: missing).
func cmap4Glyph(sub []byte, r rune) int {
	if r > 0xFFFF || len(sub) < 14 {
		return 0
	}
	c := int(r)
	u16 := func(at int) (int, bool) {
		if at < 0 || at+2 > len(sub) {
			return 0, false
		}
		return int(binary.BigEndian.Uint16(sub[at:])), true
	}
	segX2, _ := u16(6)
	seg := segX2 / 2
	endAt := 14
	startAt := endAt + segX2 + 2
	deltaAt := startAt + segX2
	rangeAt := deltaAt + segX2
	for i := 0; i < seg; i++ {
		end, ok := u16(endAt + 2*i)
		if !ok {
			return 0
		}
		if end < c {
			continue
		}
		start, ok1 := u16(startAt + 2*i)
		delta, ok2 := u16(deltaAt + 2*i)
		ro, ok3 := u16(rangeAt + 2*i)
		if !ok1 || !ok2 || !ok3 || start > c {
			return 0
		}
		if ro == 0 {
			return (c + delta) & 0xFFFF
		}
		g, ok := u16(rangeAt + 2*i + ro + 2*(c-start))
		if !ok || g == 0 {
			return 0
		}
		return (g + delta) & 0xFFFF
	}
	return 0
}
