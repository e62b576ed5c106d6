package wms

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Code classifies a domain error. Only the server package turns codes into
// HTTP status; only the views package turns message keys into words.
type Code string

const (
	CodeInvalid      Code = "invalid"      // the input is wrong; fix it and try again
	CodeNotFound     Code = "not_found"    // the thing named does not exist
	CodeConflict     Code = "conflict"     // the input is fine but the warehouse's state refuses it
	CodeForbidden    Code = "forbidden"    // the user may not do this
	CodeUnauthorized Code = "unauthorized" // nobody (valid) is logged in
	CodeInternal     Code = "internal"     // a bug or a broken disk; not the user's fault
	CodeUnavailable  Code = "unavailable"  // nothing can be saved now (the disk is full); nothing changed, try again later
)

// Error is a domain error: a code, a message key that the views translate, and
// the values the message mentions.
type Error struct {
	Code Code
	Key  string
	Args map[string]string
}

func (e *Error) Error() string {
	if len(e.Args) == 0 {
		return e.Key
	}
	names := make([]string, 0, len(e.Args))
	for k := range e.Args {
		names = append(names, k)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString(e.Key)
	for _, k := range names {
		fmt.Fprintf(&b, " %s=%q", k, e.Args[k])
	}
	return b.String()
}

// Errf builds a domain error; args are name, value pairs. It is the one way
// to make one, in wms and in server alike.
func Errf(code Code, key string, args ...string) *Error {
	e := &Error{Code: code, Key: key}
	if len(args) > 0 {
		e.Args = make(map[string]string, len(args)/2)
		for i := 0; i+1 < len(args); i += 2 {
			e.Args[args[i]] = args[i+1]
		}
	}
	return e
}

// ErrorCode returns the code of a domain error, or CodeInternal for any other error.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return CodeInternal
}

// AsError returns the domain error inside err, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}
