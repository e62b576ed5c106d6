// Package scan says what a scanned string means.
//
// Tally's Android handhelds work as keyboard wedges: the built-in scanner
// types the decoded data and presses Enter. This package takes that text and
// classifies it. It is pure: no I/O, no global state beyond the default
// patterns.
//
// # Normalisation
//
// Before anything else the input is normalised: full-width ASCII
// (U+FF01..U+FF5E, and U+3000 as space, as delivered when a Chinese IME is
// active) is mapped to ASCII, the literal text "<GS>" becomes the GS byte
// 0x1D, and spaces, tabs, CR and LF are trimmed at both ends. An empty result
// is the error scan.empty.
//
// A leading AIM symbology identifier ("]" + letter + letter or digit) is
// removed. The GS1 ones, ]C1 (GS1-128), ]d2 (GS1 DataMatrix), ]Q3 (GS1 QR)
// and ]e0 (GS1 DataBar), say that the data is a GS1 element string; any other
// (]E0 EAN-13, ]E4 EAN-8, ]C0 Code 128, ...) is dropped and the rest is
// classified normally.
//
// # Classification order
//
// Parser.Parse applies these rules in order; the first that applies wins:
//
//  1. GS1 symbology identifier: the rest must parse as a GS1 element string
//     (errors are returned).
//  2. Starts with "(digits)": human-readable GS1 element string, must parse.
//  3. Contains GS (0x1D): raw GS1 element string, must parse.
//  4. Own codes: the Patterns are tried in the order location, tote, badge,
//     order, waybill; Code is the normalised string as typed.
//  5. 8, 12, 13 or 14 digits: a GTIN (EAN-8, UPC-A, EAN-13, GTIN-14). A wrong
//     check digit is the error scan.check_digit; GTIN is padded to 14 digits.
//  6. At least 16 characters starting with 00, 01 or 02 that parse as a raw
//     GS1 element string without separators: gs1. If it does not parse, the
//     next rule applies (no error).
//  7. Anything else: Kind unknown with Code set; not an error.
//
// # GS1 element strings
//
// ParseGS1 accepts the human-readable form "(01)06901234567892(17)270331(10)LOT42",
// the raw form with GS after variable-length fields (a leading GS, a GS after
// a predefined-length field and a trailing GS are tolerated), and the raw form
// without any GS when the only variable-length field is last. Supported AIs:
// 00, 01, 02, 10, 11, 12, 13, 15, 16, 17, 20, 21, 22, 30, 37, 240, 241, 250,
// 251, 310n-316n, 320n (n = 0..5), 400 and 410-417. Values are checked for
// length, character set (digits, or GS1 AI encodable character set 82) and
// check digits (GTIN, SSCC, GLN). Dates are YYMMDD with the century chosen by
// the sliding window of the GS1 General Specifications (§7.12) relative to
// Parser.Now; DD = 00 means the last day of the month. The same AI twice is
// accepted when both values are equal and is scan.duplicate_ai otherwise.
//
// # Errors
//
// Every error from Parse, ParseGS1, NormalizeGTIN, ParseDate and CheckDigit
// is an *Error whose Key (listed in ErrorKeys) is stable for translation and
// whose Detail is English for logs.
package scan
