package syncer

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"tally/wms"
)

const (
	docPath     = "../docs/sync.md"
	openapiPath = "../docs/sync.openapi.json"
	maxDocBytes = 1 << 20 // the documents are read whole; a larger one is a mistake
)

// readDoc reads a document with a size limit.
func readDoc(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > maxDocBytes {
		t.Fatalf("%s is %d bytes, over %d", path, len(b), maxDocBytes)
	}
	return b
}

type openapi struct {
	UpstreamTypes map[string]string `json:"x-tally-upstream-types"`
	Components    struct {
		Schemas map[string]*schema `json:"schemas"`
	} `json:"components"`
}

type schema struct {
	Ref        string             `json:"$ref"`
	Type       string             `json:"type"`
	Required   []string           `json:"required"`
	Properties map[string]*schema `json:"properties"`
	Items      *schema            `json:"items"`
	Enum       []any              `json:"enum"`
	OneOf      []*schema          `json:"oneOf"`
	Status     string             `json:"x-tally-status"`
	GoType     string             `json:"x-tally-go-type"`
}

func loadOpenAPI(t *testing.T) openapi {
	t.Helper()
	var doc openapi
	dec := json.NewDecoder(bytes.NewReader(readDoc(t, openapiPath)))
	if err := dec.Decode(&doc); err != nil {
		t.Fatalf("%s: %v", openapiPath, err)
	}
	return doc
}

// upstreamTypes is the catalogue's answer: each type that goes upstream and
// the Go type of its outward shape.
func upstreamTypes() map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for _, spec := range wms.Catalogue() {
		if spec.Outward != nil {
			m[spec.Type] = reflect.TypeOf(spec.Outward)
		}
	}
	return m
}

// jsonFields lists a struct's JSON fields: name, whether it is omitted when
// empty, and its Go type.
type jsonField struct {
	name      string
	omitEmpty bool
	typ       reflect.Type
}

func jsonFields(rt reflect.Type) []jsonField {
	var out []jsonField
	for f := range rt.Fields() {
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = f.Name
		}
		out = append(out, jsonField{name: name, omitEmpty: slices.Contains(strings.Split(opts, ","), "omitempty"), typ: f.Type})
	}
	return out
}

// checkShape compares a Go struct with the schema of its name, and the
// schemas of the structs it holds, recursively.
func checkShape(t *testing.T, doc openapi, rt reflect.Type, seen map[reflect.Type]bool) {
	t.Helper()
	if seen[rt] {
		return
	}
	seen[rt] = true
	s := doc.Components.Schemas[rt.Name()]
	if s == nil {
		t.Errorf("%s: no schema %q in %s", rt, rt.Name(), openapiPath)
		return
	}
	if s.Status != "built" || s.GoType != rt.Name() {
		t.Errorf("schema %s: x-tally-status %q and x-tally-go-type %q, want built and %s", rt.Name(), s.Status, s.GoType, rt.Name())
	}
	var names, required []string
	for _, f := range jsonFields(rt) {
		names = append(names, f.name)
		if !f.omitEmpty {
			required = append(required, f.name)
		}
		p := s.Properties[f.name]
		if p == nil {
			continue // reported below
		}
		inner := f.typ
		ref := p.Ref
		if inner.Kind() == reflect.Slice {
			inner = inner.Elem()
			if p.Type != "array" || p.Items == nil {
				t.Errorf("schema %s.%s: want an array", rt.Name(), f.name)
				continue
			}
			ref = p.Items.Ref
		}
		if inner.Kind() == reflect.Struct && inner.PkgPath() == reflect.TypeFor[wms.Outward]().PkgPath() {
			if want := "#/components/schemas/" + inner.Name(); ref != want {
				t.Errorf("schema %s.%s: $ref %q, want %q", rt.Name(), f.name, ref, want)
			}
			checkShape(t, doc, inner, seen)
		}
	}
	slices.Sort(names)
	slices.Sort(required)
	got := slices.Sorted(maps.Keys(s.Properties))
	gotReq := slices.Sorted(slices.Values(s.Required))
	if !slices.Equal(got, names) {
		t.Errorf("schema %s: properties %v, the Go type has %v", rt.Name(), got, names)
	}
	if !slices.Equal(gotReq, required) {
		t.Errorf("schema %s: required %v, the Go type always sends %v", rt.Name(), gotReq, required)
	}
}

// TestSyncDocs: the documents of the sync protocol say what the warehouse
// really sends. Every type that goes upstream is mapped to a schema with its
// outward shape's field names (required exactly when never omitted), has an
// example in docs/sync.md that fits the schema, and the worked signature
// examples compute.
func TestSyncDocs(t *testing.T) {
	doc := loadOpenAPI(t)
	want := upstreamTypes()
	if len(want) == 0 {
		t.Fatal("the catalogue has no type that goes upstream")
	}

	t.Run("types", func(t *testing.T) {
		wantNames := map[string]string{}
		for typ, rt := range want {
			wantNames[typ] = rt.Name()
		}
		if !maps.Equal(doc.UpstreamTypes, wantNames) {
			t.Errorf("x-tally-upstream-types = %v\nthe catalogue says %v", doc.UpstreamTypes, wantNames)
		}
		env := doc.Components.Schemas["Outward"]
		if env == nil || env.Properties["type"] == nil {
			t.Fatal("no Outward schema with a type")
		}
		var enum []string
		for _, v := range env.Properties["type"].Enum {
			enum = append(enum, fmt.Sprint(v))
		}
		if got, w := slices.Sorted(slices.Values(enum)), slices.Sorted(maps.Keys(want)); !slices.Equal(got, w) {
			t.Errorf("Outward.type enum %v, want %v", got, w)
		}
		var oneOf []string
		for _, s := range env.Properties["data"].OneOf {
			oneOf = append(oneOf, strings.TrimPrefix(s.Ref, "#/components/schemas/"))
		}
		shapes := slices.Compact(slices.Sorted(maps.Values(wantNames)))
		if got := slices.Sorted(slices.Values(oneOf)); !slices.Equal(got, shapes) {
			t.Errorf("Outward.data oneOf %v, want %v", got, shapes)
		}
	})

	t.Run("shapes", func(t *testing.T) {
		seen := map[reflect.Type]bool{}
		checkShape(t, doc, reflect.TypeFor[wms.Outward](), seen)
		for _, rt := range want {
			checkShape(t, doc, rt, seen)
		}
		// A schema marked built that no Go type backs is a shape that went away.
		for name, s := range doc.Components.Schemas {
			if s.Status == "built" && !slices.ContainsFunc(slices.Collect(maps.Keys(seen)), func(rt reflect.Type) bool { return rt.Name() == name }) {
				t.Errorf("schema %s is marked built but no outward Go type has that name", name)
			}
		}
	})

	t.Run("enums", func(t *testing.T) {
		for _, c := range []struct {
			schema, field string
			want          []string
		}{
			{"OutReturnLine", "condition", wms.Conditions},
			{"OutLotStatus", "status", []string{string(wms.LotAvailable), string(wms.LotQuarantine), string(wms.LotHold), string(wms.LotExpired)}},
		} {
			var got []string
			if s := doc.Components.Schemas[c.schema]; s != nil && s.Properties[c.field] != nil {
				for _, v := range s.Properties[c.field].Enum {
					got = append(got, fmt.Sprint(v))
				}
			}
			if !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(c.want))) {
				t.Errorf("%s.%s enum %v, the warehouse has %v", c.schema, c.field, got, c.want)
			}
		}
	})

	md := readDoc(t, docPath)
	t.Run("status", func(t *testing.T) {
		const status = "**Status: version 1, built (issue 11).**"
		if head, _, _ := bytes.Cut(md, []byte("\n## ")); !bytes.Contains(head, []byte(status)) {
			t.Errorf("%s does not say its status at its top: %q", docPath, status)
		}
	})

	t.Run("examples", func(t *testing.T) {
		blocks := fenced(md, "json event")
		covered := map[string]bool{}
		for i, b := range blocks {
			var ev map[string]any
			dec := json.NewDecoder(strings.NewReader(b))
			dec.UseNumber()
			if err := dec.Decode(&ev); err != nil {
				t.Errorf("example %d: %v", i+1, err)
				continue
			}
			typ, _ := ev["type"].(string)
			name, ok := doc.UpstreamTypes[typ]
			if !ok {
				t.Errorf("example %d: type %q does not go upstream", i+1, typ)
				continue
			}
			covered[typ] = true
			where := fmt.Sprintf("example %d (%s)", i+1, typ)
			validate(t, doc, where, ev, &schema{Ref: "#/components/schemas/Outward"})
			validate(t, doc, where+" data", ev["data"], &schema{Ref: "#/components/schemas/" + name})
		}
		for typ := range want {
			if !covered[typ] {
				t.Errorf("%s has no example event of type %s", docPath, typ)
			}
		}
	})

	t.Run("signature vectors", func(t *testing.T) {
		vectors := fenced(md, "vector")
		if len(vectors) < 2 {
			t.Fatalf("%s has %d signature vectors, want a push and a pull", docPath, len(vectors))
		}
		for i, v := range vectors {
			checkVector(t, i+1, v)
		}
	})
}

// fenced returns the bodies of the fenced blocks whose info string is info.
func fenced(md []byte, info string) []string {
	var out []string
	var cur *strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(md))
	sc.Buffer(make([]byte, 0, 64<<10), maxDocBytes)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case cur == nil && line == "```"+info:
			cur = &strings.Builder{}
		case cur != nil && line == "```":
			out = append(out, cur.String())
			cur = nil
		case cur != nil:
			cur.WriteString(line)
			cur.WriteByte('\n')
		}
	}
	return out
}

// checkVector recomputes a worked example step by step.
func checkVector(t *testing.T, n int, block string) {
	t.Helper()
	kv := map[string]string{}
	for line := range strings.Lines(block) {
		k, v, ok := strings.Cut(strings.TrimSuffix(line, "\n"), ":")
		if !ok {
			t.Errorf("vector %d: line %q has no key", n, line)
			continue
		}
		kv[k] = strings.TrimPrefix(v, " ")
	}
	for _, k := range []string{"secret", "method", "target", "timestamp", "body", "body_sha256", "signature"} {
		if _, ok := kv[k]; !ok {
			t.Errorf("vector %d: no %s", n, k)
			return
		}
	}
	digest := sha256.Sum256([]byte(kv["body"]))
	if got := hex.EncodeToString(digest[:]); got != kv["body_sha256"] {
		t.Errorf("vector %d: body_sha256 %s, computed %s", n, kv["body_sha256"], got)
	}
	signed := strings.Join([]string{"v1", kv["method"], kv["target"], kv["timestamp"], hex.EncodeToString(digest[:])}, "\n")
	mac := hmac.New(sha256.New, []byte(kv["secret"]))
	mac.Write([]byte(signed))
	if got := "v1=" + hex.EncodeToString(mac.Sum(nil)); got != kv["signature"] {
		t.Errorf("vector %d: signature %s, computed %s", n, kv["signature"], got)
	}
	// and the package's own signer, given the same request, signs it the same
	sec, err := strconv.ParseInt(kv["timestamp"], 10, 64)
	if err != nil {
		t.Fatalf("vector %d: timestamp %q", n, kv["timestamp"])
	}
	req, err := http.NewRequest(kv["method"], "https://oms.example"+kv["target"], strings.NewReader(kv["body"]))
	if err != nil {
		t.Fatalf("vector %d: %v", n, err)
	}
	if err := Sign(req, []byte(kv["body"]), []byte(kv["secret"]), time.Unix(sec, 0)); err != nil {
		t.Fatalf("vector %d: Sign: %v", n, err)
	}
	if got := req.Header.Get("X-Tally-Signature"); got != kv["signature"] {
		t.Errorf("vector %d: the document says %s, syncer.Sign makes %s", n, kv["signature"], got)
	}
	if err := Verify(req, []byte(kv["body"]), []byte(kv["secret"]), time.Unix(sec, 0), 0); err != nil {
		t.Errorf("vector %d: syncer.Verify refuses the document's example: %v", n, err)
	}
}

// validate checks a decoded JSON value against the small part of JSON
// Schema the document uses: $ref, object properties and required, arrays,
// scalar types and enums. An object's unknown keys are errors here: an
// example must only use fields that exist.
func validate(t *testing.T, doc openapi, where string, v any, s *schema) {
	t.Helper()
	for s.Ref != "" {
		name, ok := strings.CutPrefix(s.Ref, "#/components/schemas/")
		next := doc.Components.Schemas[name]
		if !ok || next == nil {
			t.Errorf("%s: unresolved $ref %q", where, s.Ref)
			return
		}
		s = next
	}
	if len(s.Enum) > 0 && !slices.ContainsFunc(s.Enum, func(e any) bool { return fmt.Sprint(e) == fmt.Sprint(v) }) {
		t.Errorf("%s: %v is not one of %v", where, v, s.Enum)
	}
	switch s.Type {
	case "object":
		obj, ok := v.(map[string]any)
		if !ok {
			t.Errorf("%s: want an object, got %T", where, v)
			return
		}
		for _, r := range s.Required {
			if _, ok := obj[r]; !ok {
				t.Errorf("%s: no %q", where, r)
			}
		}
		for k, fv := range obj {
			p := s.Properties[k]
			if p == nil {
				t.Errorf("%s: field %q is not in the schema", where, k)
				continue
			}
			if len(p.OneOf) > 0 {
				continue // data: checked against its type's schema by the caller
			}
			validate(t, doc, where+"."+k, fv, p)
		}
	case "array":
		arr, ok := v.([]any)
		if !ok {
			t.Errorf("%s: want an array, got %T", where, v)
			return
		}
		for i, e := range arr {
			if s.Items != nil {
				validate(t, doc, fmt.Sprintf("%s[%d]", where, i), e, s.Items)
			}
		}
	case "string":
		if _, ok := v.(string); !ok {
			t.Errorf("%s: want a string, got %T", where, v)
		}
	case "integer":
		n, ok := v.(json.Number)
		if _, err := n.Int64(); !ok || err != nil {
			t.Errorf("%s: want an integer, got %v", where, v)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			t.Errorf("%s: want a boolean, got %T", where, v)
		}
	}
}
