// Package qimen speaks the Qimen (奇门) WMS standard interface, the XML-over-HTTP protocol
// through which Chinese e-commerce ERPs hand orders to a warehouse and the warehouse confirms
// what it did. This package holds the protocol's wire rules only: how a call is signed and
// verified (Sign, Verify), how a request body is read (ReadRequest) and how an answer is
// written (Response, Encode). It imports only the standard library; the syncer maps the
// methods onto Tally's events.
package qimen
