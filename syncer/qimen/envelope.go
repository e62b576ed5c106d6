// This file reads a call's XML body and writes the answer.
//
// A request body is one <request> element in UTF-8; an answer is
//
//	<?xml version="1.0" encoding="UTF-8"?>
//	<response><flag>success</flag><code></code><message></message>…</response>
//
// where … is what a method adds (a query's items, for one). A method's answer type embeds
// Response and adds its own fields; Encode writes any of them.

package qimen

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// MaxBody is the largest request body read, verified or signed.
const MaxBody = 1 << 20

// Flag says whether a call succeeded.
type Flag string

// The two flags of the standard.
const (
	FlagSuccess Flag = "success"
	FlagFailure Flag = "failure"
)

// Response is the part every answer has. Code and Message are always written, empty or not.
type Response struct {
	XMLName xml.Name `xml:"response"`
	Flag    Flag     `xml:"flag"`
	Code    string   `xml:"code"`
	Message string   `xml:"message"`
}

// Success is a successful answer with no code or message.
func Success() Response { return Response{Flag: FlagSuccess} }

// Failure is a refused or failed call's answer with its code and a message for a person.
func Failure(code, message string) Response {
	return Response{Flag: FlagFailure, Code: code, Message: message}
}

// Encode writes v, a Response or a type that embeds one, as a UTF-8 XML document with its
// declaration.
func Encode(w io.Writer, v any) error {
	out, err := Marshal(v)
	if err != nil {
		return err
	}
	_, err = w.Write(out)
	return err
}

// Marshal is Encode into a byte slice: the exact bytes to send (and, for a call, to sign).
func Marshal(v any) ([]byte, error) {
	body, err := xml.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("qimen: encoding the answer: %w", err)
	}
	out := make([]byte, 0, len(xml.Header)+len(body))
	out = append(out, xml.Header...)
	return append(out, body...), nil
}

// Refusals of a request body; test with errors.Is.
var (
	ErrEmptyBody    = errors.New("qimen: body is empty")
	ErrNotUTF8      = errors.New("qimen: body is not UTF-8")
	ErrMalformedXML = errors.New("qimen: body is not well-formed XML")
	ErrNotRequest   = errors.New("qimen: body's root element is not <request>")
)

// ReadRequest reads a request body of at most MaxBody bytes and checks it with CheckRequest.
// It returns the exact bytes read, which are what the signature covers.
func ReadRequest(r io.Reader) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r, MaxBody+1))
	if err != nil {
		return nil, fmt.Errorf("qimen: reading the body: %w", err)
	}
	if len(body) > MaxBody {
		return nil, fmt.Errorf("%w: more than %d bytes", ErrBodyTooLarge, MaxBody)
	}
	if err := CheckRequest(body); err != nil {
		return nil, err
	}
	return body, nil
}

// CheckRequest refuses a body that is not one well-formed XML document in UTF-8 whose root
// element is <request> (in no namespace): every element closed by its own end tag. Only an XML declaration, comments, processing
// instructions and white space may stand outside the root; a DOCTYPE is refused.
func CheckRequest(body []byte) error {
	if len(body) > MaxBody {
		return fmt.Errorf("%w: %d bytes", ErrBodyTooLarge, len(body))
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return ErrEmptyBody
	}
	if !utf8.Valid(body) {
		return ErrNotUTF8
	}
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = true
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrMalformedXML, err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
				if roots > 1 {
					return fmt.Errorf("%w: more than one root element", ErrMalformedXML)
				}
				if t.Name.Local != "request" || t.Name.Space != "" {
					return fmt.Errorf("%w: <%s>", ErrNotRequest, qualified(t.Name))
				}
			}
			depth++
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(t)) > 0 {
				return fmt.Errorf("%w: text outside the root element", ErrMalformedXML)
			}
		case xml.Directive:
			return fmt.Errorf("%w: DOCTYPE or other directive not allowed", ErrMalformedXML)
		}
	}
	if roots == 0 {
		return fmt.Errorf("%w: no root element", ErrMalformedXML)
	}
	return nil
}

func qualified(n xml.Name) string {
	s := n.Local
	if n.Space != "" {
		s = n.Space + ":" + s
	}
	return clip(s)
}
