//go:build !linux

package wms

import bolt "go.etcd.io/bbolt"

// openScratch opens the empty bbolt file Check rebuilds the projections
// into: a file in dir (Linux keeps a small one in memory, scratch_linux.go).
func openScratch(dir string, _ int64) (*bolt.DB, func(), error) { return openScratchFile(dir) }
