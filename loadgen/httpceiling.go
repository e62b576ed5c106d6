package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
)

// The loopback HTTP ceiling (with Config.CeilingDir, beside the disk's):
// what this machine's HTTP stack allows a scan, measured in the same run.
// A Fiber app in this process, on a loopback port of its own, answers
// POST /api/v1/tasks/{id}/scans with a fixed answer the mean size of the
// run's scan answers, after checking the token and reading the body: no
// store, no JSON decoding. As many clients as there were handhelds send
// requests shaped like the run's (same headers, a body the mean size of
// its scans, a new Idempotency-Key each) through a client built as the
// handhelds' is, for as long as the run. Scans/s over it is the share of
// the HTTP path's own limit the server reached: the part of the raw-bbolt
// ratio's gap that is the network stack's and the client's, not Tally's.

// scanSizes sums the bytes of acknowledged scans' requests and answers,
// for the HTTP ceiling's shapes.
type scanSizes struct {
	n, req, answer atomic.Int64
}

func (s *scanSizes) add(req, answer int) {
	s.n.Add(1)
	s.req.Add(int64(req))
	s.answer.Add(int64(answer))
}

// means are the mean request and answer sizes; ok is false with no scans.
func (s *scanSizes) means() (req, answer int, ok bool) {
	n := s.n.Load()
	if n == 0 {
		return 0, 0, false
	}
	return int(s.req.Load() / n), int(s.answer.Load() / n), true
}

// httpCeilingRate is how many scan-shaped requests a second clients
// complete against a do-nothing Fiber handler on loopback, for d.
func httpCeilingRate(ctx context.Context, clients, reqSize, answerSize int, d time.Duration) (float64, error) {
	const token = "ceiling"
	answer := append([]byte(`{"task":{"id":"`), bytes.Repeat([]byte("x"), max(answerSize-17, 1))...)
	answer = append(answer, `"}}`...)
	app := fiber.New(fiber.Config{
		// as the server's (server.New): copies of every value, same timeouts
		Immutable:             true,
		ReadTimeout:           2 * time.Minute,
		WriteTimeout:          2 * time.Minute,
		IdleTimeout:           2 * time.Minute,
		DisableStartupMessage: true,
	})
	app.Post("/api/v1/tasks/:id/scans", func(c *fiber.Ctx) error {
		if c.Get(fiber.HeaderAuthorization) != "Bearer "+token || c.Get("Idempotency-Key") == "" || len(c.Body()) == 0 {
			return c.Status(http.StatusUnauthorized).JSON(fiber.Map{"error": "unauthorized"})
		}
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(answer)
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("loadgen: HTTP ceiling: %w", err)
	}
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()
	defer func() {
		_ = app.ShutdownWithTimeout(5 * time.Second)
		<-served
	}()

	hc := newHTTPClient(clients)
	defer hc.CloseIdleConnections()
	c := &client{hc: hc, base: "http://" + ln.Addr().String(), token: token}
	body := bytes.Repeat([]byte("x"), max(reqSize, 1))
	var n atomic.Int64
	var failed atomic.Pointer[error]
	var wg sync.WaitGroup
	start := time.Now()
	stop := start.Add(d)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			device := fmt.Sprintf("pda-%d", i+1)
			for ctx.Err() == nil && time.Now().Before(stop) && failed.Load() == nil {
				_, err := c.do(ctx, request{method: http.MethodPost, path: "/api/v1/tasks/T-1/scans", device: device,
					idemKey: uuid.NewString(), contentType: "application/json", body: body, auth: true})
				if err != nil {
					if ctx.Err() == nil {
						failed.Store(&err)
					}
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	if p := failed.Load(); p != nil {
		return 0, fmt.Errorf("loadgen: HTTP ceiling: %w", *p)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if n.Load() == 0 {
		return 0, errors.New("loadgen: HTTP ceiling: no request completed")
	}
	return float64(n.Load()) / time.Since(start).Seconds(), nil
}

// httpCeiling measures the loopback HTTP ceiling after a run and sets it
// on res.
func (r *runner) httpCeiling(ctx context.Context, res *Result) error {
	req, answer, ok := r.sizes.means()
	if !ok {
		return errors.New("loadgen: no acknowledged scans to shape the HTTP ceiling's requests by")
	}
	r.logf("ceiling: loopback HTTP, %d clients, %d-byte requests, %d-byte answers, for %s", r.cfg.PDAs, req, answer, r.cfg.Duration)
	rate, err := httpCeilingRate(ctx, r.cfg.PDAs, req, answer, r.cfg.Duration)
	if err != nil {
		return err
	}
	res.HTTPCeilingPerSec = rate
	return nil
}
