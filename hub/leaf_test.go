package hub

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"

	"tally/syncer/qimen"
)

// A call whose applying panics at the warehouse is answered a failure; the
// warehouse goes on (in the NATS client's goroutine the panic ended the
// process, and the ERP's retry ended it again).
func TestLeafAnswersAPanicAsAFailure(t *testing.T) {
	l := &Leaf{cfg: LeafConfig{Warehouse: "WH1", Apply: func(context.Context, qimen.Call) []byte { panic("slice bounds out of range") }},
		log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	answer := l.applySafely(context.Background(), qimen.Call{ID: "c1", Warehouse: "WH1", Method: qimen.InventoryQuery})
	if ok, msg := answerOK(answer); ok || !strings.Contains(msg, "failed on this call") {
		t.Fatalf("answer %s: ok %v %q", answer, ok, msg)
	}
}
