package views

import "tally/wms"

// The domain errors' English is this catalogue's: registered with wms so
// that packages below the views (the standby) print it without importing
// them.
func init() {
	wms.SetEnglish(func(key string, args map[string]string) string { return Translate(LangEN, key, args) })
}
