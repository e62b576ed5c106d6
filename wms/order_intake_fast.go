package wms

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"runtime"
	"strconv"
	"sync"
	"unicode/utf8"
)

// Order intake's hot path, what the profile of a batch of orders and of an
// order file showed to cost most once orders had their binary codec:
//
//   - an order's content was encoded to JSON twice (once for its digest,
//     once as its event's payload): the digest is now taken of the payload
//     (the same bytes: OrderIntake.Digest is a hash of its JSON);
//   - applying an order made in this process validated and hashed it again:
//     its maker's digests ride with the event (Event.digests);
//   - the event's JSON went through encoding/json, which scans its payload
//     again to compact it: marshalEvent writes the same bytes directly.
//   - a batch's order read its owner, SKUs, archive and stored order to
//     decide it, and applying read them again: what the batch read rides
//     with the event (Event.booked), in the same transaction.
//
// A replay (tally check, a rebuild) has none of these: it decodes the log
// and checks and hashes each order as before, so a projection that came out
// otherwise would show as a difference.

// payloadDigest is OrderIntake.Digest of the order whose JSON (owner
// left out) is raw.
func payloadDigest(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:12])
}

// checkedDigest is the digest its maker gave the i-th of an event's n
// orders, when it gave them.
func checkedDigest(ev *Event, i, n int) (string, bool) {
	if ev.decoded == nil || len(ev.digests) != n || i >= n {
		return "", false
	}
	return ev.digests[i], true
}

// orderDigests are the digests of validated orders, on every core.
func orderDigests(orders []OrderIntake) []string {
	out := make([]string, len(orders))
	workers := min(runtime.GOMAXPROCS(0), (len(orders)+999)/1000)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(orders); i += workers {
				out[i] = orders[i].Digest()
			}
		}()
	}
	wg.Wait()
	return out
}

// marshalEvent is json.Marshal(ev), byte for byte. An event made in this
// process from a payload value (decoded set) has json.Marshal's output as
// its Data, already compact and escaped, so it is written as it is; any
// other event, or a string that would need escaping, goes through
// encoding/json.
func marshalEvent(ev *Event) ([]byte, error) {
	if ev.decoded == nil || len(ev.Data) == 0 {
		return json.Marshal(ev)
	}
	for _, s := range []string{ev.ID, ev.Type, ev.Actor, ev.Device, ev.Owner} {
		if !plainJSON(s) {
			return json.Marshal(ev)
		}
	}
	at, err := ev.At.MarshalJSON()
	if err != nil {
		return json.Marshal(ev) // (its own error)
	}
	b := make([]byte, 0, len(ev.Data)+len(ev.ID)+len(ev.Type)+len(ev.Actor)+len(ev.Device)+len(ev.Owner)+len(at)+112)
	b = append(b, `{"id":"`...)
	b = append(b, ev.ID...)
	b = append(b, `","seq":`...)
	b = strconv.AppendUint(b, ev.Seq, 10)
	if ev.Epoch != 0 {
		b = append(b, `,"epoch":`...)
		b = strconv.AppendUint(b, ev.Epoch, 10)
	}
	b = append(b, `,"type":"`...)
	b = append(b, ev.Type...)
	b = append(b, '"')
	for _, f := range [...]struct{ name, v string }{{`,"actor":"`, ev.Actor}, {`,"device":"`, ev.Device}, {`,"owner":"`, ev.Owner}} {
		if f.v != "" {
			b = append(b, f.name...)
			b = append(b, f.v...)
			b = append(b, '"')
		}
	}
	b = append(b, `,"at":`...)
	b = append(b, at...)
	b = append(b, `,"data":`...)
	b = append(b, ev.Data...)
	return append(b, '}'), nil
}

// plainJSON reports whether encoding/json writes s between quotes as it is:
// valid UTF-8 with nothing it escapes (quotes, backslashes, control
// characters, <, >, &, U+2028 and U+2029).
func plainJSON(s string) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
				return false
			}
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || r == '\u2028' || r == '\u2029' {
			return false
		}
		i += n
	}
	return true
}

// orderBooks is an order as stored (found) or none, read by a batch in the
// transaction that appends its event (Event.booked).
type orderBooks struct {
	o     Order
	found bool
}
