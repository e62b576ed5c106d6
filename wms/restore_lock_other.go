//go:build !unix

package wms

import (
	"errors"
	"time"
)

// lockStore: replacing a store in place is only done where flock guards it
// (the mini-PC runs Linux).
func lockStore(string, time.Duration) (func(), error) {
	return nil, errors.New("restore replaces a store only on Linux and other Unix systems; stop Tally and copy the backup in as tally.db")
}
