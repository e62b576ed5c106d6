package wms

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
)

var updateDocs = flag.Bool("update", false, "rewrite docs/events.md from the catalogue")

const eventsDocPath = "../docs/events.md"

// docs/events.md is the catalogue written out; it must say what the code
// says. `go test ./wms -run TestEventsDoc -update` rewrites it.
func TestEventsDoc(t *testing.T) {
	want := eventsDoc()
	if *updateDocs {
		if err := os.MkdirAll("../docs", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(eventsDocPath, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(eventsDocPath)
	if err != nil {
		t.Fatalf("%v (go test ./wms -run TestEventsDoc -update writes it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale: the catalogue changed; run go test ./wms -run TestEventsDoc -update and commit it", eventsDocPath)
	}
}

// eventsDoc writes the catalogue as Markdown.
func eventsDoc() []byte {
	var b bytes.Buffer
	b.WriteString(`# Events

Generated from the event catalogue (` + "`wms/catalogue.go`" + `) by
` + "`go test ./wms -run TestEventsDoc -update`" + `; a test fails when this file is stale. Do not edit
it by hand.

Every floor action is an event in the ledger: an envelope (` + "`id`, `seq`, `type`, `actor`, `device`,\n`owner`, `at`" + `) and a payload (` + "`data`" + `) whose Go type the catalogue names. An owner's
event without ` + "`owner`" + ` is the default owner's (` + "`DEFAULT`" + `); warehouse events have no owner, and
mixed events say whose each part is in their payload. A payload's version changes when old
readers would misread it. An event appended after a standby was promoted carries the store's
` + "`epoch`" + ` (2 after the first promotion, 3 after the next, ...; left out while it is 1).

What goes upstream is never the stored payload: a type that goes upstream has an outward shape of
its own (` + "`wms/outward.go`" + `), sent inside an envelope of ` + "`id`, `seq`, `type`, `at`" + `, ` + "`owner`" + ` (for an
owner's event), ` + "`epoch`" + ` (from the first promotion on) and ` + "`data`" + `. Types marked "no" never leave the warehouse.

| type | scope | version | payload | upstream as |
|------|-------|---------|---------|-------------|
`)
	for _, s := range Catalogue() {
		up := "no"
		if s.Outward != nil {
			up = "`" + typeName(reflect.TypeOf(s.Outward)) + "`"
		}
		fmt.Fprintf(&b, "| [`%s`](#%s) | %s | %d | `%s` | %s |\n", s.Type, anchor(s.Type), s.Scope, s.Version, typeName(reflect.TypeOf(s.Payload)), up)
	}
	for _, s := range Catalogue() {
		fmt.Fprintf(&b, "\n## %s\n\n", s.Type)
		fmt.Fprintf(&b, "Scope %s, version %d, payload `%s`.\n\n", s.Scope, s.Version, typeName(reflect.TypeOf(s.Payload)))
		fieldTable(&b, reflect.TypeOf(s.Payload))
		if s.Outward == nil {
			b.WriteString("\nUpstream: never.\n")
			continue
		}
		fmt.Fprintf(&b, "\nUpstream as `%s`:\n\n", typeName(reflect.TypeOf(s.Outward)))
		fieldTable(&b, reflect.TypeOf(s.Outward))
	}
	return b.Bytes()
}

// anchor is the fragment GitHub gives a heading.
func anchor(heading string) string {
	return strings.ToLower(strings.NewReplacer(".", "", " ", "-").Replace(heading))
}

func typeName(t reflect.Type) string { return strings.ReplaceAll(t.String(), "wms.", "") }

func fieldTable(b *bytes.Buffer, t reflect.Type) {
	b.WriteString("| field | Go type | omitted when empty |\n|-------|---------|--------------------|\n")
	var walk func(prefix string, t reflect.Type, depth int)
	walk = func(prefix string, t reflect.Type, depth int) {
		for i := range t.NumField() {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			omit := ""
			if strings.Contains(opts, "omitempty") {
				omit = "yes"
			}
			fmt.Fprintf(b, "| `%s%s` | `%s` | %s |\n", prefix, name, typeName(f.Type), omit)
			// nested records are listed field by field
			inner, path := f.Type, prefix+name
			for {
				switch inner.Kind() {
				case reflect.Pointer:
					inner = inner.Elem()
					continue
				case reflect.Slice:
					inner, path = inner.Elem(), path+"[]"
					continue
				case reflect.Map:
					inner, path = inner.Elem(), path+"{}"
					continue
				}
				break
			}
			if inner.Kind() == reflect.Struct && inner != timeType && depth < 4 {
				walk(path+".", inner, depth+1)
			}
		}
	}
	walk("", t, 0)
}
