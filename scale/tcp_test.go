package scale

import (
	"context"
	"net"
	"sync"
	"testing"
	"time"
)

// fakeTCPScale plays a continuous scale behind a serial-to-Ethernet
// converter: each accepted connection is handed to the next script; after the
// last script, connections get the last one again.
func fakeTCPScale(t *testing.T, ctx context.Context, scripts ...func(net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; ; i++ {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			script := scripts[min(i, len(scripts)-1)]
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				stop := context.AfterFunc(ctx, func() { c.Close() })
				defer stop()
				script(c)
			}()
		}
	}()
	return "tcp://" + ln.Addr().String()
}

// sendEvery writes line every d until n lines were sent (n < 0: forever) or
// the connection fails.
func sendEvery(c net.Conn, line string, d time.Duration, n int) bool {
	for i := 0; n < 0 || i < n; i++ {
		if _, err := c.Write([]byte(line)); err != nil {
			return false
		}
		time.Sleep(d)
	}
	return true
}

func waitLatest(t *testing.T, s *Scale, grams float64, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		r, fresh := s.Latest()
		if fresh && r.Grams == grams {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("Latest = %+v, fresh %v; want %v g (LastError %v)", r, fresh, grams, s.LastError())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestTCPReconnect(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	addr := fakeTCPScale(t, ctx,
		// 1: reports 1250 g for a while, then the line drops mid-line.
		func(c net.Conn) {
			c.Write([]byte("US,GS,+000.700kg\r\n"))
			if sendEvery(c, "ST,GS,+001.250kg\r\n", 30*time.Millisecond, 30) {
				c.Write([]byte("ST,GS,+00"))
			}
		},
		// 2: the tail of a line (must not be glued to the partial line of
		// connection 1 into "ST,GS,+009.999kg"), a pause, then 2000 g.
		func(c net.Conn) {
			c.Write([]byte("9.999kg\r\n"))
			time.Sleep(300 * time.Millisecond)
			sendEvery(c, "ST,GS,+002.000kg\r\n", 30*time.Millisecond, 60)
			// then falls silent without closing: a half-dead converter
			<-ctx.Done()
		},
		// 3 and later: 3000 g, with some noise.
		func(c net.Conn) {
			for ctx.Err() == nil {
				if !sendEvery(c, "ST,GS,+003.000kg\r\n", 30*time.Millisecond, 5) {
					return
				}
				if _, err := c.Write([]byte("\xff\x00garbage\r\n")); err != nil {
					return
				}
			}
		},
	)

	s, err := newScale(ctx, Config{Address: addr, Protocol: Continuous, StableFor: 200 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s.idle = 500 * time.Millisecond // detect the silent connection quickly
	go s.loop()
	defer s.Close()

	waitLatest(t, s, 1250, 5*time.Second)
	r, err := s.Stable(ctx)
	if err != nil || r.Grams != 1250 {
		t.Fatalf("Stable = %+v, %v; want 1250 g", r, err)
	}

	// Connection 1 drops; the Scale reconnects and keeps reporting.
	deadline := time.Now().Add(5 * time.Second)
	for s.links.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("no reconnect (LastError %v)", s.LastError())
		}
		if r, _ := s.Latest(); r.Grams == 9999 {
			t.Fatalf("a partial line was glued across connections: %+v", r)
		}
		time.Sleep(2 * time.Millisecond)
	}
	for i := 0; i < 100; i++ { // during connection 2's pause
		if r, _ := s.Latest(); r.Grams == 9999 {
			t.Fatalf("a partial line was glued across connections: %+v", r)
		}
		time.Sleep(2 * time.Millisecond)
	}
	waitLatest(t, s, 2000, 5*time.Second)
	stableCtx, stableCancel := context.WithTimeout(ctx, 5*time.Second)
	r, err = s.Stable(stableCtx)
	stableCancel()
	if err != nil || r.Grams != 2000 {
		t.Fatalf("Stable after reconnect = %+v, %v; want 2000 g", r, err)
	}

	// Connection 2 goes silent; the idle timeout drops it and connection 3 reports.
	waitLatest(t, s, 3000, 10*time.Second)
	r, err = s.Stable(ctx)
	if err != nil || r.Grams != 3000 {
		t.Fatalf("Stable after idle reconnect = %+v, %v; want 3000 g", r, err)
	}
	if n := s.links.Load(); n != 3 {
		t.Errorf("line opened %d times; want 3", n)
	}
}

func TestTCPUnreachableThenUp(t *testing.T) {
	// Reserve a port, close it, point the scale there: dials fail with backoff.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	s, err := Open(ctx, Config{Address: "tcp://" + addr})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	deadline := time.Now().Add(5 * time.Second)
	for s.LastError() == nil {
		if time.Now().After(deadline) {
			t.Fatal("no dial error reported")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, fresh := s.Latest(); fresh {
		t.Fatal("fresh reading without a scale")
	}

	// The converter comes up on the same port.
	ln, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("port %s taken meanwhile: %v", addr, err)
	}
	defer ln.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		stop := context.AfterFunc(ctx, func() { c.Close() })
		defer stop()
		sendEvery(c, "ST,GS,+000.500kg\r\n", 30*time.Millisecond, -1)
	}()
	defer func() { cancel(); ln.Close(); <-done }()

	waitLatest(t, s, 500, 10*time.Second)
	if err := s.LastError(); err != nil {
		t.Fatalf("LastError = %v after good readings", err)
	}
}
