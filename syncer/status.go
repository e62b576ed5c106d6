package syncer

import "time"

// UpstreamStatus is how one upstream is doing, for the sync page,
// GET /api/v1/sync/status and /metrics. It never carries a token or secret.
type UpstreamStatus struct {
	Name    string `json:"name"`
	Dialect string `json:"dialect"`
	Owner   string `json:"owner,omitempty"` // empty: every owner
	URL     string `json:"url"`
	// Online is whether the last request reached the upstream and was
	// answered (any answer but a network failure, a 5xx, 408 or 429).
	Online bool `json:"online"`
	// Backlog is how many events wait to be acknowledged (dead letters
	// waiting for a retry included); OldestAgeS the age of the oldest.
	Backlog    int     `json:"backlog"`
	OldestAgeS float64 `json:"oldest_age_s"`
	// LastSuccess is when a request last succeeded; LastError the last
	// failure (never a secret), even if later requests went well.
	LastSuccess *time.Time `json:"last_success"`
	LastError   string     `json:"last_error"`
	LastErrorAt *time.Time `json:"last_error_at,omitempty"`
	DeadLetters int        `json:"dead_letters"`
	// OfflineSince is when the upstream stopped answering (nil while online).
	OfflineSince *time.Time `json:"offline_since,omitempty"`
	// NextTry is when the next request may go (after a backoff or a Retry-After).
	NextTry *time.Time `json:"next_try,omitempty"`
	// Drain is the progress of a large backlog: events acknowledged since
	// the backlog began to drain, out of that plus what is left.
	DrainDone  int `json:"drain_done"`
	DrainTotal int `json:"drain_total"`
	// Cursors, for people who compare with the upstream's side.
	PushedThrough uint64 `json:"pushed_through"`
	PullCursor    string `json:"pull_cursor,omitempty"`
	Disabled      bool   `json:"disabled,omitempty"`
}
