package market

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// postForm sends a signed form (the gateways of TOP and JOS take their
// system and business parameters as one urlencoded body) after the shop's
// limiter lets it through. Any status but 200 that send passes on is
// Retry: the platform answered, not with an answer.
// The form is never part of an error: it carries the session and the sign.
func postForm(ctx context.Context, c Conn, platform, endpoint string, form url.Values) ([]byte, error) {
	if err := c.Limit.Wait(ctx, 1); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, &Error{Kind: Refused, Code: platform + ".url", Message: "the shop's gateway URL is not usable: " + endpoint}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded;charset=utf-8")
	req.Header.Set("Accept", "application/json")
	status, body, err := send(ctx, c, platform, req)
	if err != nil {
		return nil, err
	}
	if status != http.StatusOK {
		return nil, &Error{Kind: Retry, Status: status, Message: fmt.Sprintf("%s answered HTTP %d", platform, status)}
	}
	return body, nil
}

// clipText keeps a platform's text short in an error.
func clipText(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }
