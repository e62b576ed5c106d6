// Package static holds the files the browser loads as they are: the style
// sheet, the one small script (scanning, feedback, uploads, the offline queue),
// the label page's own few lines and the web manifest. They are embedded in the binary.
package static

import "embed"

//go:embed tally.css tally.js pick.js label.js live.js manifest.webmanifest icon.svg
var FS embed.FS
