package views

import (
	"context"
	"strconv"
)

// LotAge words how far a lot is from its expiry, given the days left (less
// than zero once it has expired). Every screen that speaks of a lot's age
// says it this way.
func LotAge(daysLeft int) Message {
	switch {
	case daysLeft < -1:
		return Message{Key: "lot.expired_ago", Args: map[string]string{"days": strconv.Itoa(-daysLeft)}}
	case daysLeft == -1:
		return Message{Key: "lot.expired_yesterday"}
	case daysLeft == 0:
		return Message{Key: "lot.expires_today"}
	case daysLeft == 1:
		return Message{Key: "lot.expires_tomorrow"}
	}
	return Message{Key: "lot.expires_in", Args: map[string]string{"days": strconv.Itoa(daysLeft)}}
}

func lotAge(ctx context.Context, daysLeft int) string {
	m := LotAge(daysLeft)
	return Translate(Lang(ctx), m.Key, m.Args)
}
