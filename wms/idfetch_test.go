package wms

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAdoptIDTable: a standby keeps a fetched table only under its own
// name, with the SHA-256 its event names, whole; anything else leaves
// nothing in the archive folder. A primary refuses to adopt one.
func TestAdoptIDTable(t *testing.T) {
	src := filepath.Join(t.TempDir(), "src.ids")
	writeTestIDTable(t, src, 500, "id-%d", idVersion)
	raw, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	digest, err := fileDigest(src)
	if err != nil {
		t.Fatal(err)
	}
	name := idTableFile("2026-11.ids", digest)
	l, _ := openTest(t)
	if e, ok := AsError(l.AdoptIDTable(name, digest, bytes.NewReader(raw), int64(len(raw)))); !ok || e.Key != "standby.not_standby" {
		t.Fatalf("a primary adopted a table: %v", e)
	}
	if err := l.Follow("http://primary:8080"); err != nil {
		t.Fatal(err)
	}
	other := digest[:63] + "0"
	if other == digest {
		other = digest[:63] + "1"
	}
	moved := "0" + digest[1:] // another digest's name
	if moved == digest {
		moved = "1" + digest[1:]
	}
	for what, c := range map[string]struct {
		name, digest string
		data         []byte
		size         int64
		key          string
	}{
		"another digest":  {name, other, raw, int64(len(raw)), "ids.fetched_differs"},
		"another name":    {name, moved, raw, int64(len(raw)), "ids.name_invalid"}, // the name carries the digest
		"changed bytes":   {name, digest, flip(raw, idBlockSize+7), int64(len(raw)), "ids.fetched_differs"},
		"cut short":       {name, digest, raw[:len(raw)-10], int64(len(raw)), "ids.fetched_differs"},
		"size said wrong": {name, digest, raw, int64(len(raw)) + 1, "ids.fetched_differs"},
		"a path":          {"../" + name, digest, raw, int64(len(raw)), "ids.name_invalid"},
		"too large":       {name, digest, raw, MaxIDTableBytes + 1, "ids.table_too_large"},
		// a lot index is the same file: its errors say so
		"a lot index of another digest": {lotTableFile("2026-11.lots", digest), other, raw, int64(len(raw)), "lots.fetched_differs"},
		"a lot index's path":            {"../" + lotTableFile("2026-11.lots", digest), digest, raw, int64(len(raw)), "lots.name_invalid"},
		"a lot index too large":         {lotTableFile("2026-11.lots", digest), digest, raw, MaxIDTableBytes + 1, "lots.table_too_large"},
	} {
		e, ok := AsError(l.AdoptIDTable(c.name, c.digest, bytes.NewReader(c.data), c.size))
		if !ok || e.Key != c.key {
			t.Fatalf("%s: %v, want %s", what, e, c.key)
		}
		if left, _ := os.ReadDir(l.ArchiveDir()); len(left) != 0 {
			t.Fatalf("%s left %v", what, left)
		}
	}
	if err := l.AdoptIDTable(name, digest, bytes.NewReader(raw), -1); err != nil {
		t.Fatal(err)
	}
	if got, err := fileDigest(filepath.Join(l.ArchiveDir(), name)); err != nil || got != digest {
		t.Fatalf("adopted: %s %v", got, err)
	}
	if left, _ := os.ReadDir(l.ArchiveDir()); len(left) != 1 {
		t.Fatalf("the folder holds %v", left)
	}
}

// TestRunTableErrors: an event whose table is not the name its month and
// SHA-256 give is refused as such (not as a bad month file); a bad month
// file as one; both worded by the table's kind. A primary refuses to serve
// a file of a name that is not a table's, in its kind's words.
func TestRunTableErrors(t *testing.T) {
	digest := strings.Repeat("ab", 32)
	for _, c := range []struct {
		k                   *tableKind
		file, digest, table string
		key                 string
	}{
		{idsKind, "2026-11.ids", digest, tableName("2026-11.ids", digest), ""},
		{idsKind, "2026-11.ids", digest, "", ""},
		{idsKind, "2026-11.ids", digest, tableName("2026-10.ids", digest), "ids.table_name_differs"},
		{idsKind, "2026-13.ids", digest, "", "ids.file_invalid"},
		{idsKind, "2026-11.ids", "ab", "", "ids.file_invalid"},
		{lotsKind, "2026-11.lots", digest, tableName("2026-11.lots", digest), ""},
		{lotsKind, "2026-11.lots", digest, tableName("2026-11.lots", strings.Repeat("cd", 32)), "lots.table_name_differs"},
		{lotsKind, "2026-11.ids", digest, "", "lots.file_invalid"},
	} {
		name, err := c.k.runTable(c.file, c.digest, c.table)
		if c.key == "" {
			if err != nil || name != tableName(c.file, c.digest) {
				t.Fatalf("%+v: %q %v", c, name, err)
			}
			continue
		}
		if e, ok := AsError(err); !ok || e.Key != c.key {
			t.Fatalf("%+v: %v, want %s", c, err, c.key)
		}
	}
	l, _ := openTest(t)
	for name, key := range map[string]string{"../2026-11.abababababababab.lots": "lots.name_invalid", "2026-11.ids": "ids.name_invalid", "2026-11.abababababababab.lots": "lots.table_missing"} {
		_, _, err := l.OpenIDTableFile(name)
		if e, ok := AsError(err); !ok || e.Key != key {
			t.Fatalf("serving %s: %v, want %s", name, err, key)
		}
	}
}
