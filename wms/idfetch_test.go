package wms

import (
	"bytes"
	"os"
	"path/filepath"
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
