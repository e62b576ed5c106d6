//go:build !unix

package wms

import "os"

// mapTable maps nothing here: the lookups read blocks with pread.
func mapTable(*os.File, int64) []byte { return nil }

func unmapTable([]byte) {}
