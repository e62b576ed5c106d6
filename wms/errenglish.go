package wms

import "sync/atomic"

// english words a message key and its arguments in English; the views
// package, which owns the catalogue, registers it (SetEnglish).
var english atomic.Pointer[func(key string, args map[string]string) string]

// SetEnglish registers how a domain error's message reads in English. The
// views package does so when it is loaded, so that a package below it (the
// standby, a command's output) can print an error's words with
// Error.English without importing the views.
func SetEnglish(f func(key string, args map[string]string) string) { english.Store(&f) }

// English is the error's message in English as the views word it; Error()
// (its key and arguments) when no wording is registered.
func (e *Error) English() string {
	if f := english.Load(); f != nil {
		return (*f)(e.Key, e.Args)
	}
	return e.Error()
}
