package scale

// lineSplitter cuts a byte stream into lines. CR, LF, CRLF and LFCR all end a
// line; empty lines are not reported. A line that grows past max bytes
// without an end is dropped whole, up to and including its eventual CR/LF,
// so its tail is never mistaken for a line of its own.
type lineSplitter struct {
	max     int
	buf     []byte
	discard bool // inside an over-long line
}

func newLineSplitter(max int) *lineSplitter {
	return &lineSplitter{max: max, buf: make([]byte, 0, max)}
}

// feed adds p and calls emit for each complete line, in order.
func (ls *lineSplitter) feed(p []byte, emit func(line string)) {
	for _, c := range p {
		if c == '\r' || c == '\n' {
			if !ls.discard && len(ls.buf) > 0 {
				emit(string(ls.buf))
			}
			ls.buf = ls.buf[:0]
			ls.discard = false
			continue
		}
		if ls.discard {
			continue
		}
		if len(ls.buf) >= ls.max {
			ls.buf = ls.buf[:0]
			ls.discard = true
			continue
		}
		ls.buf = append(ls.buf, c)
	}
}
