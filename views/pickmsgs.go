package views

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"
)

// pickKeys are the messages the pick script shows without asking the server.
var pickKeys = []string{
	"pick.step_location", "pick.step_item", "pick.step_tote", "pick.step_putback",
	"pick.wrong_location", "pick.wrong_item", "pick.wrong_tote", "pick.qty_line", "pick.meta",
	"pick.progress", "pick.scan_item_first", "pick.count_invalid", "pick.refused", "pick.undone",
	"pick.nothing_to_undo", "pick.task_done_waiting", "pick.order_tote",
}

// PickMessages is the pick script's message table in the language of ctx, as JSON.
func PickMessages(ctx context.Context) string {
	m := make(map[string]string, len(pickKeys))
	for _, k := range pickKeys {
		m[k] = T(ctx, k)
	}
	raw, _ := json.Marshal(m)
	return string(raw)
}

// newKey is a fresh idempotency key for a form, so a double submit applies once.
func newKey() string { return uuid.NewString() }

func carrierName(ctx context.Context, c string) string {
	if c == "" {
		return T(ctx, "wave.no_carrier")
	}
	if HasKey("carrier." + c) {
		return T(ctx, "carrier."+c)
	}
	return c // an account the catalogue has no name for
}
