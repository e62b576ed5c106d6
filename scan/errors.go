package scan

// Message keys of *Error. They are stable: the UI translates them, so never
// change the text of an existing key.
const (
	// ErrKeyEmpty: nothing left after trimming (or after the symbology identifier).
	ErrKeyEmpty = "scan.empty"
	// ErrKeyCheckDigit: a GTIN, SSCC or GLN has a wrong check digit.
	ErrKeyCheckDigit = "scan.check_digit"
	// ErrKeyBadDate: a date is not a real calendar date or is malformed.
	ErrKeyBadDate = "scan.bad_date"
	// ErrKeyUnknownAI: a GS1 Application Identifier that is unknown or not supported.
	ErrKeyUnknownAI = "scan.unknown_ai"
	// ErrKeyBadValue: wrong length or characters for an AI (or for a GTIN).
	ErrKeyBadValue = "scan.bad_value"
	// ErrKeyTruncated: the input ends in the middle of an element string.
	ErrKeyTruncated = "scan.truncated"
	// ErrKeyTooLong: a variable-length field is longer than its maximum
	// (usually a missing GS separator).
	ErrKeyTooLong = "scan.too_long"
	// ErrKeyDuplicateAI: the same AI appears twice with different values.
	ErrKeyDuplicateAI = "scan.duplicate_ai"
)

// ErrorKeys lists every key an *Error from this package can carry.
var ErrorKeys = []string{
	ErrKeyEmpty,
	ErrKeyCheckDigit,
	ErrKeyBadDate,
	ErrKeyUnknownAI,
	ErrKeyBadValue,
	ErrKeyTruncated,
	ErrKeyTooLong,
	ErrKeyDuplicateAI,
}

// Error is the error type returned by Parse, ParseGS1, NormalizeGTIN,
// ParseDate and CheckDigit.
type Error struct {
	Key    string // stable message key for translation, one of the ErrKey* constants
	Detail string // English detail for logs/CLI
}

// Error returns "key: detail" (or just the key when there is no detail).
func (e *Error) Error() string {
	if e.Detail == "" {
		return e.Key
	}
	return e.Key + ": " + e.Detail
}

// Is reports whether target is an *Error with the same Key, so that
// errors.Is(err, &scan.Error{Key: scan.ErrKeyCheckDigit}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t != nil && t.Key == e.Key
}

func newError(key, detail string) *Error {
	return &Error{Key: key, Detail: detail}
}
