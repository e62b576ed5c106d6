package server

import (
	"strconv"

	"tally/views"
	"tally/wms"
)

// The API's shapes for errors and for CSV imports.

// apiError is every refused or failed API request's answer.
type apiError struct {
	Error string            `json:"error"`          // in the reader's language
	Code  string            `json:"code"`           // invalid, not_found, conflict, ...
	Key   string            `json:"key"`            // what the answer means, for a script that acts on it
	Args  map[string]string `json:"args,omitempty"` // the values in the message, so a script can show codes whole
}

func newAPIError(lang string, e *wms.Error) apiError {
	return apiError{Error: views.Translate(lang, e.Key, e.Args), Code: string(e.Code), Key: e.Key, Args: e.Args}
}

// importOut answers POST /api/v1/import/{kind}.
type importOut struct {
	Kind string `json:"kind"`
	Rows int    `json:"rows"`
	Seq  uint64 `json:"seq"`
}

// importRefusal is an import refused for its bad rows: nothing was loaded.
// Rows lists the first wms.MaxReportedRows errors; BadRows counts every bad
// row and Unlisted the errors past those listed.
type importRefusal struct {
	apiError
	Rows     []importRowError `json:"rows"`
	BadRows  int              `json:"bad_rows"`
	Unlisted int              `json:"unlisted"`
}

type importRowError struct {
	Line  int               `json:"line"`
	Error string            `json:"error"`
	Key   string            `json:"key"`
	Args  map[string]string `json:"args,omitempty"`
}

func newImportRefusal(lang string, e *wms.Error, res wms.ImportResult) importRefusal {
	out := importRefusal{apiError: newAPIError(lang, e), Rows: make([]importRowError, 0, len(res.Errors)), BadRows: res.BadRows, Unlisted: res.Unlisted}
	if res.Unlisted > 0 {
		out.Error += " " + views.Translate(lang, "import.errors_unlisted", map[string]string{"n": strconv.Itoa(res.Unlisted)})
	}
	for _, r := range res.Errors {
		out.Rows = append(out.Rows, importRowError{Line: r.Line, Error: views.Translate(lang, r.Key, r.Args), Key: r.Key, Args: r.Args})
	}
	return out
}
