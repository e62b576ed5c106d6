package server

import (
	"log/slog"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
)

// refusalEvery is how often the log hears of refused requests.
const refusalEvery = time.Minute

// refusalLog turns requests refused for who sent them (401: no valid
// login or token; 429: too many failed logins) into at most one log line
// a minute: the first refusal after a quiet minute is logged at once with
// its path, later ones are counted and the count is logged with the next
// refusal a minute on. /metrics counts every one (tally_http_requests_total,
// tally_login_*), so nothing is lost to the operator; only the log stays
// small whatever a flood sends.
type refusalLog struct {
	mu       sync.Mutex
	loggedAt time.Time
	unauth   int // 401s since the last line
	limited  int // 429s since the last line
}

func (r *refusalLog) note(log *slog.Logger, status int, path string, now time.Time) {
	r.mu.Lock()
	if status == fiber.StatusTooManyRequests {
		r.limited++
	} else {
		r.unauth++
	}
	if !r.loggedAt.IsZero() && now.Sub(r.loggedAt) < refusalEvery {
		r.mu.Unlock()
		return
	}
	unauth, limited, since := r.unauth, r.limited, r.loggedAt
	r.unauth, r.limited, r.loggedAt = 0, 0, now
	r.mu.Unlock()
	args := []any{"unauthorized", unauth, "rate_limited", limited, "last_path", path}
	if !since.IsZero() {
		args = append(args, "since", since.UTC().Format(time.RFC3339))
	}
	log.Info("requests refused (401: not logged in or a bad token, 429: too many failed logins)", args...)
}
