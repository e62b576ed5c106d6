package server

import (
	"fmt"
	"strings"
)

// eventArchiveMetrics writes how much of the event log has moved to the
// archive's segment files (wms/eventarchive.go).
func (s *Server) eventArchiveMetrics(b *strings.Builder) {
	events, members := s.ledger.ArchivedEvents()
	gauge := func(name, help string, v uint64) {
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s gauge\n%s %d\n", name, help, name, name, v)
	}
	gauge("tally_events_archived", "Events moved out of the live log to segment files in DATA/archive.", events)
	gauge("tally_event_segments", "Gzip members (segments) of archived events.", uint64(members))
}
