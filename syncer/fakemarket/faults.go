package fakemarket

import (
	"context"
	"fmt"
	"net/http"
	"slices"
)

// Fault kinds. The gateway applies drop, error, slow and lost for every
// platform; a platform's handler answers signature, session and ratelimit
// in its own terms (FaultOf tells it).
const (
	FaultDrop      = "drop"      // the connection closes before anything is read
	FaultError     = "error"     // an HTTP 5xx (Status, default 502), nothing kept
	FaultSlow      = "slow"      // the answer waits DelayMS (a client's timeout), then is served
	FaultLost      = "lost"      // the request is served and kept, then the connection closes unanswered
	FaultSignature = "signature" // answered as the platform answers a bad signature
	FaultSession   = "session"   // answered as the platform answers an expired session / access token
	FaultRateLimit = "ratelimit" // answered as the platform answers over its limit (HTTP 429 or its own code)
)

// FaultKinds lists every kind.
var FaultKinds = []string{FaultDrop, FaultError, FaultSlow, FaultLost, FaultSignature, FaultSession, FaultRateLimit}

// Fault is one injected fault: it hits the next Count requests to Platform
// (empty: any platform) whose method is Method (empty: any).
type Fault struct {
	ID       int    `json:"id"`
	Kind     string `json:"kind"`
	Platform string `json:"platform,omitempty"`
	Count    int    `json:"count"`
	Left     int    `json:"left"`
	Status   int    `json:"status,omitempty"`
	DelayMS  int    `json:"delay_ms,omitempty"`
}

// Limits of a fault.
const (
	maxFaults  = 100
	maxDelayMS = 120_000
	maxCount   = 1_000_000
)

// AddFault injects a fault.
func (m *Market) AddFault(f Fault) (Fault, error) {
	if !slices.Contains(FaultKinds, f.Kind) {
		return Fault{}, fmt.Errorf("fault kind %q is not one of %v", f.Kind, FaultKinds)
	}
	if f.Platform != "" && Path(f.Platform) == "" {
		return Fault{}, fmt.Errorf("platform %q is not one of %v", f.Platform, Platforms())
	}
	if f.Count < 1 || f.Count > maxCount {
		return Fault{}, fmt.Errorf("count must be 1 to %d", maxCount)
	}
	if f.DelayMS < 0 || f.DelayMS > maxDelayMS || (f.Kind == FaultSlow) != (f.DelayMS > 0) {
		return Fault{}, fmt.Errorf("delay_ms is 1 to %d for a slow fault and only there", maxDelayMS)
	}
	if f.Status != 0 && (f.Kind != FaultError || f.Status < 500 || f.Status > 599) {
		return Fault{}, fmt.Errorf("status is a 5xx, for an error fault only")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.faults) >= maxFaults {
		return Fault{}, fmt.Errorf("at most %d faults at once", maxFaults)
	}
	m.nextFault++
	f.ID, f.Left = m.nextFault, f.Count
	m.faults = append(m.faults, &f)
	return f, nil
}

// Faults are the faults still to hit.
func (m *Market) Faults() []Fault {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Fault, 0, len(m.faults))
	for _, f := range m.faults {
		out = append(out, *f)
	}
	return out
}

// ClearFaults removes every fault.
func (m *Market) ClearFaults() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.faults = nil
}

// takeFault is the fault the next request to a platform meets, if any.
func (m *Market) takeFault(platform string) *Fault {
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, f := range m.faults {
		if f.Platform != "" && f.Platform != platform {
			continue
		}
		f.Left--
		c := *f
		if f.Left <= 0 {
			m.faults = slices.Delete(m.faults, i, i+1)
		}
		return &c
	}
	return nil
}

type faultKey struct{}

func withFault(r *http.Request, f *Fault) *http.Request {
	if f == nil {
		return r
	}
	return r.WithContext(context.WithValue(r.Context(), faultKey{}, f.Kind))
}

// FaultOf is the platform-answered fault a request meets: "" for none, or
// FaultSignature, FaultSession or FaultRateLimit (the handler answers it
// as its platform does, and keeps nothing).
func FaultOf(r *http.Request) string {
	k, _ := r.Context().Value(faultKey{}).(string)
	switch k {
	case FaultSignature, FaultSession, FaultRateLimit:
		return k
	}
	return ""
}
