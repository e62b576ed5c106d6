package server

import (
	"fmt"
	"strings"
)

// commitMetrics writes the ledger's group commit figures and the process's
// CPU time (Prometheus' process_cpu_seconds_total: the load generator reads
// it before and after a run for the CPU each acknowledged scan cost).
func (s *Server) commitMetrics(b *strings.Builder) {
	st := s.ledger.Stats()
	counter := func(name, help string, v uint64) {
		fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s counter\n%s %d\n", name, help, name, name, v)
	}
	counter("tally_ledger_commits_total", "Write transactions committed by the ledger's group commit.", st.Commits.Load())
	counter("tally_ledger_grouped_writes_total", "Writes those commits carried (divided by commits: the mean group).", st.Grouped.Load())
	counter("tally_ledger_regroups_total", "Groups rolled back because one write failed beside others (it then ran alone; the writes before it committed together, those after it formed the next group).", st.Regroups.Load())
	if sec, ok := processCPUSeconds(); ok {
		fmt.Fprintf(b, "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.\n# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total %g\n", sec)
	}
}
