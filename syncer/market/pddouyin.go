package market

import (
	"crypto/sha256"
	"encoding/hex"
)

// What the Pinduoduo and Douyin adapters share: sending one request and
// reading its answer (at most pdAnswerLimit bytes), and turning what went
// wrong on the way into a market.Error. Nothing here ever puts a request's
// parameters in an error: they carry the access token and the signature.

// pdStableID is an idempotency key as a platform takes it: the key itself
// when it is short plain ASCII, else a digest of it (the same key always
// gives the same ID).
func pdStableID(key string, max int) string {
	plain := key != "" && len(key) <= max
	for i := 0; plain && i < len(key); i++ {
		b := key[i]
		plain = b == '-' || b == '_' || b == ':' || b == '.' || (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z')
	}
	if plain {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "t" + hex.EncodeToString(sum[:])[:min(32, max-1)]
}

// pdDigits says whether s is a non-empty decimal ID.
func pdDigits(s string) bool {
	if s == "" || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
