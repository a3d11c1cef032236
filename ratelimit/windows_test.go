package ratelimit

import (
	"errors"
	"maps"
	"sync"
	"testing"

	"github.com/chianet/chianet/protocol"
)

func TestV3Handled(t *testing.T) {
	n := 0
	for _, mt := range protocol.AllMessageTypes() {
		if V3Handled(mt) {
			n++
		}
	}
	if want := len(protocol.V3WindowTable()); n != want {
		t.Errorf("%d types handled by v3, want %d", n, want)
	}
	for mt, want := range map[protocol.MessageType]bool{
		protocol.MsgRequestBlocks:   true,
		protocol.MsgRespondBlocks:   true, // responses too (window 0)
		protocol.MsgRejectCoinState: true,
		protocol.MsgRequestPeers:    false,
		protocol.MsgNewPeak:         false,
		protocol.MsgRequestChildren: false, // v2-overridden, but not in v3
		2:                           false,
	} {
		if got := V3Handled(mt); got != want {
			t.Errorf("V3Handled(%v) = %v, want %v", mt, got, want)
		}
	}
}

func TestWindowsOutbound(t *testing.T) {
	w := NewWindows(map[protocol.MessageType]uint16{
		protocol.MsgRequestBlocks: 2,
		protocol.MsgRequestBlock:  0, // unlimited
		protocol.MsgRespondBlocks: 0,
		protocol.MsgRequestPeers:  1, // outside our v3 table: still honoured
	})
	type op struct {
		release bool
		t       protocol.MessageType
		want    bool // for acquires
	}
	ops := []op{
		{t: protocol.MsgRequestBlocks, want: true},
		{t: protocol.MsgRequestBlocks, want: true},
		{t: protocol.MsgRequestBlocks, want: false}, // window of 2 full
		{t: protocol.MsgRequestBlocks, want: false}, // a refusal takes nothing
		{release: true, t: protocol.MsgRequestBlocks},
		{t: protocol.MsgRequestBlocks, want: true},
		{t: protocol.MsgRequestBlocks, want: false},
		{release: true, t: protocol.MsgRequestBlocks},
		{release: true, t: protocol.MsgRequestBlocks},
		{release: true, t: protocol.MsgRequestBlocks}, // extra: no underflow
		{t: protocol.MsgRequestBlocks, want: true},
		{t: protocol.MsgRequestBlocks, want: true},
		{t: protocol.MsgRequestBlocks, want: false},
		{t: protocol.MsgRequestPeers, want: true},
		{t: protocol.MsgRequestPeers, want: false},
	}
	for range 5 { // window 0 and unlisted types are never full
		ops = append(ops,
			op{t: protocol.MsgRequestBlock, want: true},
			op{t: protocol.MsgRequestCoinState, want: true},
			op{release: true, t: protocol.MsgRespondBlocks})
	}
	for i, o := range ops {
		if o.release {
			w.ReleaseOutbound(o.t)
			continue
		}
		if got := w.TryAcquireOutbound(o.t); got != o.want {
			t.Fatalf("op %d: TryAcquireOutbound(%v) = %v, want %v", i, o.t, got, o.want)
		}
	}
}

func TestWindowsPeerWindow(t *testing.T) {
	w := NewWindows(map[protocol.MessageType]uint16{protocol.MsgRequestBlocks: 3, protocol.MsgRespondBlocks: 0})
	for mt, want := range map[protocol.MessageType]struct {
		window uint16
		listed bool
	}{
		protocol.MsgRequestBlocks: {3, true},
		protocol.MsgRespondBlocks: {0, true},
		protocol.MsgRequestBlock:  {0, false},
	} {
		win, listed := w.PeerWindow(mt)
		if win != want.window || listed != want.listed {
			t.Errorf("PeerWindow(%v) = %d, %v, want %d, %v", mt, win, listed, want.window, want.listed)
		}
	}
}

func TestWindowsInbound(t *testing.T) {
	// The peer's windows do not matter inbound: ours (2 per request type) do.
	w := NewWindows(map[protocol.MessageType]uint16{protocol.MsgRequestBlocks: 100})
	for i := range 2 {
		if !w.BeginInbound(protocol.MsgRequestBlocks) {
			t.Fatalf("request_blocks %d refused", i+1)
		}
	}
	if w.BeginInbound(protocol.MsgRequestBlocks) {
		t.Fatal("third concurrent request_blocks accepted; want a violation")
	}
	// Windows are per type.
	if !w.BeginInbound(protocol.MsgRequestBlock) {
		t.Fatal("request_block refused while request_blocks is full")
	}
	w.EndInbound(protocol.MsgRequestBlocks)
	if !w.BeginInbound(protocol.MsgRequestBlocks) {
		t.Fatal("request_blocks refused after one ended")
	}
	if w.BeginInbound(protocol.MsgRequestBlocks) {
		t.Fatal("window not full again")
	}
	w.EndInbound(protocol.MsgRequestBlocks)
	w.EndInbound(protocol.MsgRequestBlocks)
	w.EndInbound(protocol.MsgRequestBlocks) // extra: no underflow
	for i := range 2 {
		if !w.BeginInbound(protocol.MsgRequestBlocks) {
			t.Fatalf("request %d refused after all ended", i+1)
		}
	}
	if w.BeginInbound(protocol.MsgRequestBlocks) {
		t.Fatal("extra EndInbound left room for a third")
	}
	// Responses (window 0) and types outside the v3 table are untracked.
	for range 10 {
		for _, mt := range []protocol.MessageType{protocol.MsgRespondBlocks, protocol.MsgRequestPeers, protocol.MsgNewPeak} {
			if !w.BeginInbound(mt) {
				t.Fatalf("BeginInbound(%v) = false for an untracked type", mt)
			}
		}
	}
	w.EndInbound(protocol.MsgRespondBlocks) // untracked: no effect, no panic
}

// TestWindowsConcurrent checks balanced use from many goroutines under
// -race: afterwards every window is empty again.
func TestWindowsConcurrent(t *testing.T) {
	w := NewWindows(map[protocol.MessageType]uint16{protocol.MsgRequestBlocks: 2})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 500 {
				if w.TryAcquireOutbound(protocol.MsgRequestBlocks) {
					w.ReleaseOutbound(protocol.MsgRequestBlocks)
				}
				if w.BeginInbound(protocol.MsgRequestCoinState) {
					w.EndInbound(protocol.MsgRequestCoinState)
				}
			}
		})
	}
	wg.Wait()
	for range 2 {
		if !w.TryAcquireOutbound(protocol.MsgRequestBlocks) || !w.BeginInbound(protocol.MsgRequestCoinState) {
			t.Fatal("windows not empty after balanced use")
		}
	}
}

func settings(pairs ...int) *protocol.ConfigureWindowSizes {
	m := &protocol.ConfigureWindowSizes{Settings: []protocol.WindowSize{}}
	for i := 0; i < len(pairs); i += 2 {
		m.Settings = append(m.Settings, protocol.WindowSize{MessageType: uint8(pairs[i]), WindowSize: uint16(pairs[i+1])})
	}
	return m
}

func TestParsePeerWindows(t *testing.T) {
	many := func(n int, typ uint8) *protocol.ConfigureWindowSizes {
		m := &protocol.ConfigureWindowSizes{}
		for range n {
			m.Settings = append(m.Settings, protocol.WindowSize{MessageType: typ, WindowSize: 2})
		}
		return m
	}
	local := map[protocol.MessageType]uint16{}
	for _, s := range protocol.V3WindowTable() {
		local[s.Type] = s.Window
	}
	reqBlocks, respBlocks := int(protocol.MsgRequestBlocks), int(protocol.MsgRespondBlocks)
	tests := []struct {
		name    string
		msg     *protocol.ConfigureWindowSizes
		wantErr bool
		want    map[protocol.MessageType]uint16
	}{
		{name: "nil", msg: nil, wantErr: true},
		{name: "empty", msg: settings(), wantErr: true},
		{name: "257 entries", msg: many(257, uint8(protocol.MsgRequestBlocks)), wantErr: true},
		{name: "257 unknown entries", msg: many(257, 2), wantErr: true},
		{name: "256 entries", msg: many(256, uint8(protocol.MsgRequestBlocks)),
			want: map[protocol.MessageType]uint16{protocol.MsgRequestBlocks: 2}},
		{name: "the reference's own table", msg: protocol.LocalConfigureWindowSizes(), want: local},
		{name: "non-zero window for a response type", msg: settings(reqBlocks, 2, respBlocks, 1), wantErr: true},
		{name: "non-zero window for a reject type", msg: settings(int(protocol.MsgRejectCoinState), 5), wantErr: true},
		{name: "zero for a response type", msg: settings(respBlocks, 0),
			want: map[protocol.MessageType]uint16{protocol.MsgRespondBlocks: 0}},
		{name: "any window for a request type", msg: settings(reqBlocks, 65535),
			want: map[protocol.MessageType]uint16{protocol.MsgRequestBlocks: 65535}},
		{name: "zero (unlimited) for a request type", msg: settings(reqBlocks, 0),
			want: map[protocol.MessageType]uint16{protocol.MsgRequestBlocks: 0}},
		{name: "unknown types skipped", msg: settings(2, 7, reqBlocks, 3, 4, 0, 250, 9),
			want: map[protocol.MessageType]uint16{protocol.MsgRequestBlocks: 3}},
		{name: "only unknown types", msg: settings(2, 1, 255-1, 1),
			want: map[protocol.MessageType]uint16{}},
		{name: "known type outside our v3 table kept", msg: settings(int(protocol.MsgRespondPeers), 4),
			want: map[protocol.MessageType]uint16{protocol.MsgRespondPeers: 4}},
		{name: "last duplicate wins", msg: settings(reqBlocks, 1, reqBlocks, 5),
			want: map[protocol.MessageType]uint16{protocol.MsgRequestBlocks: 5}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePeerWindows(tt.msg)
			if tt.wantErr {
				if !errors.Is(err, ErrInvalidWindowSizes) {
					t.Fatalf("err = %v, want ErrInvalidWindowSizes", err)
				}
				if got != nil {
					t.Fatalf("got %v with an error", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !maps.Equal(got, tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
		})
	}
}
