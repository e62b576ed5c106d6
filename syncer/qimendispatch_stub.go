package syncer

// DELETE before the last commit: qin's qimenin.go declares these.

import (
	"context"

	"tally/syncer/qimen"
	"tally/wms"
)

type qimenHandler func(ctx context.Context, s *Syncer, up wms.Upstream, c qimen.Call) (answer any, err error)

var qimenMethods = map[string]qimenHandler{}
