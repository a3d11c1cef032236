package testlog

import (
	"bytes"
	"log/slog"
	"testing"
)

// New returns a logger that writes every record, at debug level, to t's
// log when the tests run with -v, and discards everything otherwise.
func New(t testing.TB) *slog.Logger {
	if !testing.Verbose() {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(writer{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// writer passes each record to t.Log, which adds its own newline.
type writer struct{ t testing.TB }

func (w writer) Write(b []byte) (int, error) {
	w.t.Log(string(bytes.TrimSuffix(b, []byte("\n"))))
	return len(b), nil
}
