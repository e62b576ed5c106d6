package views

import (
	"context"
	"encoding/json"

	"github.com/google/uuid"
)

// pickKeys are the messages the pick script shows without asking the server.
var pickKeys = []string{
	"pick.step_location", "pick.step_item", "pick.step_tote", "pick.step_putback",
	"pick.wrong_location", "pick.item_not_location", "pick.tote_not_location", "pick.not_location",
	"pick.wrong_item", "pick.location_again", "pick.location_not_item", "pick.tote_not_item", "pick.not_item",
	"pick.wrong_tote", "pick.tote_in_use", "pick.tote_now", "pick.location_not_tote", "pick.item_not_tote", "pick.not_tote",
	"pick.serial_double_read", "pick.tote_before_short",
	"pick.qty_line", "pick.picked", "pick.picked_tote", "pick.meta",
	"pick.progress", "pick.scan_item_first", "pick.count_invalid", "pick.refused", "pick.undone",
	"pick.nothing_to_undo", "pick.done_waiting", "pick.order_tote", "app.offline",
	"pick.done_totes", "pick.done_orders", "pick.done_putback", "pick.done_nothing", "pick.list_sep",
	"app.disk_full", "csrf.invalid", "pick.token_stale_units",
}

// PickMessages is the pick script's message table in the language of ctx, as
// JSON, with the form for one (key + ".one") of those that count.
func PickMessages(ctx context.Context) string {
	m := make(map[string]string, len(pickKeys))
	for _, k := range pickKeys {
		m[k] = T(ctx, k)
		if HasKey(k + ".one") {
			m[k+".one"] = T(ctx, k+".one")
		}
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
