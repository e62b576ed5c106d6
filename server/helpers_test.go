package server

import (
	"html"
	"regexp"
)

func regexpMust(s string) *regexp.Regexp { return regexp.MustCompile(s) }
func htmlUnescape(s string) string       { return html.UnescapeString(s) }

func htmlEscape(s string) string { return html.EscapeString(s) }
