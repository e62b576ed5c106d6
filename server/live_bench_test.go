package server

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"tally/views"
)

// BenchmarkLiveLatency is the time from a picker's scan (the pick's append
// and commit included) to the changed fragment arriving on an open live
// floor stream, one scan at a time after a quiet second (so coalescing adds
// nothing: a scan after a quiet gap goes out at once). Run it with
// -benchtime=20x: each scan needs its own task and a quiet stream first.
func BenchmarkLiveLatency(b *testing.B) {
	s, l := testServer(b)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = s.Serve(ln) }()
	b.Cleanup(func() { _ = s.Shutdown(context.Background()) })
	base := "http://" + ln.Addr().String()
	_, ch := stream(b, base, supervisor(b, s, views.LangEN))
	drain(ch, 300*time.Millisecond)
	var pick time.Duration
	b.StopTimer()
	for i := range b.N {
		task := activeTask(b, l, fmt.Sprintf("SO95%04d", i))
		drain(ch, s.live.gap+200*time.Millisecond)
		b.StartTimer()
		start := time.Now()
		pickLine(b, l, task, fmt.Sprintf("bench-pick-%d", i), fmt.Sprintf("T95%04d", i))
		pick += time.Since(start)
		next(b, ch, 5*time.Second, "live-waves")
		b.StopTimer()
	}
	b.ReportMetric(float64(pick.Microseconds())/1000/float64(b.N), "pick-ms/op")
}
