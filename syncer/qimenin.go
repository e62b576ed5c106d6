package syncer

import (
	"context"

	"tally/syncer/qimen"
	"tally/wms"
)

// qimenHandler serves one ERP→WMS method for a verified call from up.
// answer is what qimen.Marshal writes back (a qimen.Response, or a struct
// embedding one with more elements); an error becomes a failure answer.
type qimenHandler func(ctx context.Context, s *Syncer, up wms.Upstream, c qimen.Call) (answer any, err error)

// qimenMethods serves the ERP→WMS methods, keyed by short method name.
// The read methods register themselves from an init (qimenread.go).
var qimenMethods = map[string]qimenHandler{}
