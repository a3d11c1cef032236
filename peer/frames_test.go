package peer_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"io"
	"testing"
	"time"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

// maxClientFrame is the largest frame tungstenite, under Rust light
// clients such as chia-wallet-sdk, accepts by default (transport spec §8).
const maxClientFrame = 16 << 20

// TestLargeMessageFrames checks that a listener sends a message larger
// than 16 MiB in frames of at most 16 MiB, which such clients accept,
// and a smaller one in a single frame, as the reference does.
func TestLargeMessageFrames(t *testing.T) {
	for _, lib := range peerLibs {
		t.Run(lib.name, func(t *testing.T) {
			h := &peer.Handler{Config: listenerConfig()}
			peer.SetLibrary(&h.Config, lib.lib)
			e := startLoopback(t, h)
			w := e.dialWire(t)
			w.handshake()
			srv := e.nextAccepted(t)
			t.Cleanup(func() { srv.Close(nil); <-srv.Done() })
			for _, size := range []int{maxClientFrame - 6, 2*maxClientFrame + 1000} {
				data := make([]byte, size)
				for i := range data {
					data[i] = byte(i * 7)
				}
				if err := srv.SendMessage(context.Background(), protocol.Message{Type: protocol.MsgRespondBlocks, Data: data}); err != nil {
					t.Fatal(err)
				}
				_ = w.c.SetReadDeadline(time.Now().Add(60 * time.Second))
				var msg []byte
				var frames []int
				for fin := false; !fin; {
					hdr, payload, err := readAnyFrame(w)
					if err != nil {
						t.Fatalf("%d-byte message: frame %d: %v", size, len(frames), err)
					}
					fin = hdr&0x80 != 0
					frames = append(frames, len(payload))
					msg = append(msg, payload...)
				}
				for _, n := range frames {
					if n > maxClientFrame {
						t.Fatalf("%d-byte message sent as frames of %v bytes; want each at most %d", size+6, frames, maxClientFrame)
					}
				}
				if size+6 <= maxClientFrame && len(frames) != 1 {
					t.Errorf("%d-byte message sent as %d frames, want 1", size+6, len(frames))
				}
				m, err := protocol.DecodeMessage(msg)
				if err != nil || m.Type != protocol.MsgRespondBlocks || !bytes.Equal(m.Data, data) {
					t.Fatalf("%d-byte message arrived altered (%v)", size+6, err)
				}
			}
		})
	}
}

// readAnyFrame reads one unmasked frame of any size from the node and
// returns its first header byte (FIN and opcode) and its payload.
func readAnyFrame(w *wireConn) (byte, []byte, error) {
	var h [2]byte
	if _, err := io.ReadFull(w.br, h[:]); err != nil {
		return 0, nil, err
	}
	n := uint64(h[1] & 0x7f)
	switch n {
	case 126:
		var b [2]byte
		if _, err := io.ReadFull(w.br, b[:]); err != nil {
			return 0, nil, err
		}
		n = uint64(binary.BigEndian.Uint16(b[:]))
	case 127:
		var b [8]byte
		if _, err := io.ReadFull(w.br, b[:]); err != nil {
			return 0, nil, err
		}
		n = binary.BigEndian.Uint64(b[:])
	}
	if n > protocol.MaxMessageSize {
		return 0, nil, io.ErrUnexpectedEOF
	}
	payload := make([]byte, n)
	_, err := io.ReadFull(w.br, payload)
	return h[0], payload, err
}
