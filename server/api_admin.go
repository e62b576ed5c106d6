package server

import (
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
type importRefusal struct {
	apiError
	Rows []importRowError `json:"rows"`
}

type importRowError struct {
	Line  int               `json:"line"`
	Error string            `json:"error"`
	Key   string            `json:"key"`
	Args  map[string]string `json:"args,omitempty"`
}

func newImportRefusal(lang string, e *wms.Error, rows []wms.RowError) importRefusal {
	out := importRefusal{apiError: newAPIError(lang, e), Rows: make([]importRowError, 0, len(rows))}
	for _, r := range rows {
		out.Rows = append(out.Rows, importRowError{Line: r.Line, Error: views.Translate(lang, r.Key, r.Args), Key: r.Key, Args: r.Args})
	}
	return out
}
