package server

import (
	"context"
	"errors"
	"testing"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

// TestDialAdmit: WithAdmit sees the peer's Info after the handshake; a
// refusal closes the connection before it joins the registry (no event,
// no count, no replacement of a connection with the same node id), and
// an admitted connection is registered as usual.
func TestDialAdmit(t *testing.T) {
	k := testPKI(t)
	a := startNode(t, k, k.issue(t), "127.0.0.1:0", nil)
	b := startNode(t, k, k.issue(t), "127.0.0.2:0", nil)
	// A lightweight client with b's certificate is registered at a first:
	// a registered dial to b would replace it.
	if _, err := dialClient(t, a.addr(), clientConfig(k, b.id, protocol.NodeFullNode)); err != nil {
		t.Fatal(err)
	}
	in := a.connected(b.id.id).Peer

	errFull := errors.New("no slot")
	var seen []peer.Info
	_, err := a.Dial(context.Background(), b.addr(), WithAdmit(func(info peer.Info) error {
		seen = append(seen, info)
		if got := a.OutboundCount(0); got != 0 {
			t.Errorf("admit: %d outbound connections registered, want 0", got)
		}
		return errFull
	}))
	if !errors.Is(err, ErrNotAdmitted) || !errors.Is(err, errFull) {
		t.Fatalf("refused dial: %v, want ErrNotAdmitted wrapping the admit error", err)
	}
	if len(seen) != 1 || seen[0].NodeID != b.id.id || !seen[0].Outbound || seen[0].NodeType != protocol.NodeFullNode {
		t.Fatalf("admit saw %+v, want b's Info once", seen)
	}
	if r := a.nextClose(); r.Code != peer.StatusNormal || r.Ban != 0 || !errors.Is(r.Err, errFull) {
		t.Errorf("refused connection closed with %v, want a normal close with the admit error", r)
	}
	if got, ok := a.Peer(b.id.id); !ok || got != in {
		t.Errorf("registered connection of b is %v, %v; want the inbound one, untouched", got, ok)
	}
	if a.OutboundCount(0) != 0 || a.InboundCount(0) != 1 {
		t.Errorf("outbound %d, inbound %d; want 0, 1", a.OutboundCount(0), a.InboundCount(0))
	}

	// Admitted: registered, replacing the inbound connection.
	out, err := a.Dial(context.Background(), b.addr(), WithAdmit(func(peer.Info) error { return nil }))
	if err != nil {
		t.Fatal(err)
	}
	if e := a.connected(b.id.id); e.Peer != out {
		t.Errorf("connected event for %v, want the admitted connection", e.Peer)
	}
	a.disconnected(in)
	if a.OutboundCount(protocol.NodeFullNode) != 1 {
		t.Errorf("outbound %d, want 1", a.OutboundCount(protocol.NodeFullNode))
	}
	// The refused connection left no event behind.
	a.mu.Lock()
	for _, e := range a.events {
		t.Errorf("unexpected event %v of %v", e.Type, e.Info.RemoteAddr)
	}
	a.mu.Unlock()
}
