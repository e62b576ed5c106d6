package server

import (
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"tally/wms"
)

// The one home of request keys. A write that takes a key (the client's
// Idempotency-Key header, or a page form's hidden "key") passes it to the
// ledger as the event ID, and the ledger answers every repeat of that key
// with its first answer, bound to who sent it, what for and what was asked
// (wms/idempotency.go): a handler answers from what the ledger returned, so
// a repeat's status and body are the first's. keyed marks such an answer
// with Idempotency-Replayed: true.

const (
	headerIdempotencyKey = "Idempotency-Key"
	headerReplayed       = "Idempotency-Replayed"
)

// keyed runs on every route. It refuses a malformed Idempotency-Key before
// any handler reads the request, and says when the answer is a replay.
func (s *Server) keyed(c *fiber.Ctx) error {
	if k := c.Get(headerIdempotencyKey); k != "" {
		if _, err := headerKey(c); err != nil {
			return err
		}
	}
	c.SetUserContext(wms.WithReplayNote(c.UserContext()))
	err := c.Next()
	if wms.Replayed(c.UserContext()) {
		c.Set(headerReplayed, "true")
	}
	return err
}

// headerKey is the request's Idempotency-Key ("" when it has none).
func headerKey(c *fiber.Ctx) (string, error) {
	k := strings.TrimSpace(c.Get(headerIdempotencyKey))
	if len(k) > 128 || !utf8.ValidString(k) || strings.ContainsRune(k, 0) {
		return "", wms.Errf(wms.CodeInvalid, "event.id_invalid")
	}
	return k, nil
}

// idempotencyKey is the event ID for a request: the client's Idempotency-Key,
// or a fresh one when the client sent none.
func idempotencyKey(c *fiber.Ctx) (string, error) {
	k, err := headerKey(c)
	if err == nil && k == "" {
		k = uuid.NewString()
	}
	return k, err
}

// clientKey is the key of a write whose event is named by what it acts on
// (an order and its content, a receipt, an RMA): prefix and the client's
// Idempotency-Key, or "" when it sent none, so that such a write without a
// key stays idempotent on what it names, as it always was.
func clientKey(c *fiber.Ctx, prefix string) (string, error) {
	k, err := headerKey(c)
	if err != nil || k == "" {
		return "", err
	}
	return prefix + k, nil
}

// requiredKey is the Idempotency-Key of a request that must carry one (a
// handheld's scan: its queue replays it).
func requiredKey(c *fiber.Ctx) (string, error) {
	k, err := headerKey(c)
	if err == nil && k == "" {
		err = wms.Errf(wms.CodeInvalid, "event.id_invalid")
	}
	return k, err
}

// formKey is the event ID a page form carries in its hidden "key" field (made
// when the page was rendered, so a resubmitted form applies once), or a new
// one when the field is missing or not a UUID.
func formKey(c *fiber.Ctx) string {
	k := c.FormValue("key")
	if _, err := uuid.Parse(k); err != nil {
		return uuid.NewString()
	}
	return k
}
