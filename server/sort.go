package server

import (
	"bytes"
	"slices"
	"strings"

	"tally/views"
)

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

func sortCounts(c []views.Count) {
	slices.SortFunc(c, func(a, b views.Count) int {
		if a.N != b.N {
			return b.N - a.N
		}
		return strings.Compare(a.Name, b.Name)
	})
}

func sortKPIs(k []views.KPIRow) {
	slices.SortFunc(k, func(a, b views.KPIRow) int { return strings.Compare(a.Actor, b.Actor) })
}
