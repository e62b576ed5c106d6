package hub

import (
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
)

// linkProxy stands for a warehouse's network link to the hub: the leaf
// connects to it, it connects on to a live hub node. Cut drops the link
// (open connections closed, new ones refused) until Restore.
type linkProxy struct {
	ln      net.Listener
	targets []string
	mu      sync.Mutex
	cut     bool
	conns   map[net.Conn]bool
}

func newLinkProxy(t testing.TB, targets []string) *linkProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &linkProxy{ln: ln, targets: targets, conns: map[net.Conn]bool{}}
	go p.serve()
	t.Cleanup(func() { ln.Close(); p.Cut() })
	return p
}

func (p *linkProxy) Addr() string { return p.ln.Addr().String() }

func (p *linkProxy) serve() {
	for {
		in, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.pipe(in)
	}
}

func (p *linkProxy) pipe(in net.Conn) {
	p.mu.Lock()
	cut := p.cut
	p.mu.Unlock()
	if cut {
		in.Close()
		return
	}
	var out net.Conn
	start := rand.IntN(len(p.targets))
	for i := range p.targets {
		c, err := net.Dial("tcp", p.targets[(start+i)%len(p.targets)])
		if err == nil {
			out = c
			break
		}
	}
	if out == nil {
		in.Close()
		return
	}
	p.mu.Lock()
	if p.cut {
		p.mu.Unlock()
		in.Close()
		out.Close()
		return
	}
	p.conns[in], p.conns[out] = true, true
	p.mu.Unlock()
	done := func() {
		in.Close()
		out.Close()
		p.mu.Lock()
		delete(p.conns, in)
		delete(p.conns, out)
		p.mu.Unlock()
	}
	go func() { _, _ = io.Copy(out, in); done() }()
	_, _ = io.Copy(in, out)
	done()
}

// Cut drops the link.
func (p *linkProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		c.Close()
	}
}

// Restore lets the leaf connect again.
func (p *linkProxy) Restore() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
}
