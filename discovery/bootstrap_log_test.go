package discovery

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/chianet/chianet/config"
	"github.com/chianet/chianet/protocol"
)

// syncBuffer is a log sink for tests.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// linesWith returns the lines of s that contain every one of subs.
func linesWith(s string, subs ...string) []string {
	var out []string
	for line := range strings.Lines(s) {
		all := true
		for _, sub := range subs {
			all = all && strings.Contains(line, sub)
		}
		if all {
			out = append(out, line)
		}
	}
	return out
}

// Bootstrap rounds warn only while the node has no full-node connection
// and a source was tried; a node that keeps its static peers itself is
// not told it has none.
func TestBootstrapLogLevels(t *testing.T) {
	cases := []struct {
		name      string
		cfg       Config
		connected bool
		warns     bool
	}{
		{"connected, the introducer fails", Config{Introducer: "9.9.9.9:8444"}, true, false},
		{"connected, nothing configured, static peers kept by the node", Config{KeptPeers: 2}, true, false},
		{"alone, the introducer fails", Config{Introducer: "9.9.9.9:8444"}, false, true},
		{"alone, nothing configured", Config{}, false, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var logs syncBuffer
				c.cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
				h := newHarness(t, c.cfg)
				if c.connected {
					h.net.inbound(pub(1).Addr(), config.MainnetPort, protocol.NodeFullNode)
				}
				h.run()
				defer h.stop()
				time.Sleep(100 * time.Second)
				synctest.Wait()
				out := logs.String()
				if n := len(roundsOf(t, h.recordedSteps())); n < 3 {
					t.Fatalf("%d bootstrap rounds in 100 s:\n%s", n, out)
				}
				warns := linesWith(out, "level=WARN")
				if c.warns && len(linesWith(out, "level=WARN", "bootstrap round found no peers")) == 0 {
					t.Errorf("no warning for a node alone whose introducer fails:\n%s", out)
				}
				if !c.warns && len(warns) > 0 {
					t.Errorf("%d warnings, want none:\n%s", len(warns), strings.Join(warns, ""))
				}
				if c.connected && len(linesWith(out, "level=INFO", "bootstrap round found no peers", "full_node_connections=1")) == 0 {
					t.Errorf("rounds of a connected node not logged at info:\n%s", out)
				}
				if c.cfg.KeptPeers > 0 {
					if l := linesWith(out, "no static peers"); len(l) > 0 {
						t.Errorf("told it has no static peers: %s", l[0])
					}
					if len(linesWith(out, "level=DEBUG", "keeps its 2 static peers connected itself")) == 0 {
						t.Errorf("the static step does not mention the kept peers:\n%s", out)
					}
				}
			})
		})
	}
}
