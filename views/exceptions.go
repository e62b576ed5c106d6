package views

import (
	"net/url"
	"strings"
)

// ExceptionsPage is the supervisors' queue of what needs a person.
type ExceptionsPage struct {
	Page
	Counts         []ExceptionCount
	Open, Resolved []ExceptionRow
	Kind           string // the kind filter ("" for every kind)
	Days           int
	Owners         OwnerFilter
	Key            string
}

// ExceptionCount is the open exceptions of one kind.
type ExceptionCount struct {
	Kind string
	N    int
}

// ExceptionRow is one exception.
type ExceptionRow struct {
	Kind, Ref  string
	Owners     []string
	What       map[string]string
	Since, By  string
	ResolvedBy string // empty while open
	ResolvedAt string
	How, Note  string
}

// Open tells whether nobody has resolved it yet.
func (r ExceptionRow) Open() bool { return r.ResolvedAt == "" }

// arg is one of What's values.
func (r ExceptionRow) arg(k string) string { return r.What[k] }

// lotQuery is the recall page's query for a held lot (ref owner/sku/lot).
func (r ExceptionRow) lotQuery() string {
	parts := strings.SplitN(r.Ref, "/", 3)
	if len(parts) != 3 {
		return ""
	}
	return "?sku=" + url.QueryEscape(parts[1]) + "&lot=" + url.QueryEscape(parts[2]) + "&owner=" + url.QueryEscape(parts[0])
}
