package qimen

import (
	"bytes"
	"encoding/xml"
	"errors"
	"strings"
	"testing"
)

func TestEncodeResponse(t *testing.T) {
	for _, tc := range []struct {
		name string
		v    any
		want string
	}{
		{"success", Success(),
			`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
				`<response><flag>success</flag><code></code><message></message></response>`},
		{"failure escaped", Failure("SIGN_ERROR", "sign <mismatch> & 签名错误"),
			`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
				`<response><flag>failure</flag><code>SIGN_ERROR</code><message>sign &lt;mismatch&gt; &amp; 签名错误</message></response>`},
		{"method answer embeds Response", struct {
			Response
			DeliveryOrderID string `xml:"deliveryOrderId"`
		}{Success(), "D1"},
			`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
				`<response><flag>success</flag><code></code><message></message><deliveryOrderId>D1</deliveryOrderId></response>`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := Encode(&b, tc.v); err != nil {
				t.Fatal(err)
			}
			if b.String() != tc.want {
				t.Fatalf("Encode =\n%s\nwant\n%s", b.String(), tc.want)
			}
			var back Response
			if err := xml.Unmarshal(b.Bytes(), &back); err != nil {
				t.Fatalf("answer does not decode: %v", err)
			}
		})
	}
}

func TestReadRequestAccepts(t *testing.T) {
	for _, body := range []string{
		vectorBody,
		`<?xml version="1.0" encoding="utf-8"?>` + "\n" + vectorBody + "\n",
		`<!-- from the ERP --><request/>`,
		`<request><items><item><itemCode>A&amp;B</itemCode><remark><![CDATA[<x>]]></remark></item></items></request>`,
		`<request><senderInfo name="张三"/></request>`,
	} {
		got, err := ReadRequest(strings.NewReader(body))
		if err != nil {
			t.Fatalf("ReadRequest(%q): %v", body, err)
		}
		if string(got) != body {
			t.Fatalf("ReadRequest returned %q, want the exact bytes %q", got, body)
		}
	}
}

func TestReadRequestRefuses(t *testing.T) {
	for _, tc := range []struct {
		body string
		want error
	}{
		{"", ErrEmptyBody},
		{" \n\t", ErrEmptyBody},
		{"<request>\xff</request>", ErrNotUTF8},
		{`{"orderCode":"T1"}`, ErrMalformedXML},
		{"orderCode=T1", ErrMalformedXML},
		{"<request>", ErrMalformedXML},
		{"<request><a></request></a>", ErrMalformedXML},
		{"<request/><request/>", ErrMalformedXML},
		{"<request/>tail", ErrMalformedXML},
		{"<request a=1/>", ErrMalformedXML},
		{"<request>&nbsp;</request>", ErrMalformedXML},
		{`<!DOCTYPE request [<!ENTITY x "y">]><request>&x;</request>`, ErrMalformedXML},
		{`<?xml version="1.0" encoding="GBK"?><request/>`, ErrMalformedXML},
		{"<response><flag>success</flag></response>", ErrNotRequest},
		{"<Request/>", ErrNotRequest},
		{`<request xmlns="urn:x"/>`, ErrNotRequest},
	} {
		_, err := ReadRequest(strings.NewReader(tc.body))
		if !errors.Is(err, tc.want) {
			t.Errorf("ReadRequest(%q) = %v, want %v", tc.body, err, tc.want)
		}
	}
}

func TestReadRequestLimit(t *testing.T) {
	pad := func(n int) string {
		inner := n - len("<request></request>")
		return "<request>" + strings.Repeat("x", inner) + "</request>"
	}
	if _, err := ReadRequest(strings.NewReader(pad(MaxBody))); err != nil {
		t.Fatalf("exactly MaxBody bytes: %v", err)
	}
	if _, err := ReadRequest(strings.NewReader(pad(MaxBody + 1))); !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("MaxBody+1 bytes: %v, want ErrBodyTooLarge", err)
	}
}

// FuzzReadRequest: any body is answered without panicking; one accepted is returned as read
// and decodes as a <request> element.
func FuzzReadRequest(f *testing.F) {
	for _, s := range []string{vectorBody, "", "<request>", "<a/>", "<request/><request/>",
		`<?xml version="1.0"?><request><x y="1">z</x></request>`, "<!DOCTYPE x><request/>"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		got, err := ReadRequest(bytes.NewReader(body))
		if err != nil {
			return
		}
		if !bytes.Equal(got, body) {
			t.Fatalf("returned %q, read %q", got, body)
		}
		var root struct {
			XMLName xml.Name
		}
		if err := xml.Unmarshal(body, &root); err != nil || root.XMLName.Local != "request" {
			t.Fatalf("accepted %q but it decodes as %v, %v", body, root.XMLName, err)
		}
	})
}
