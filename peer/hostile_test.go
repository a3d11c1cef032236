package peer_test

// Hostile senders of large messages: what a node reads of a message it
// will refuse, and what many slow senders can make it hold. The frames
// are written byte by byte over a hand-made WebSocket (wireConn), since
// WebSocket libraries do not send a frame header without its payload.

import (
	"bufio"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

// wireConn is a WebSocket client written by hand: TLS, the HTTP upgrade,
// and frames built from their parts (masked with a zero key, which leaves
// the payload as it is).
type wireConn struct {
	t  testing.TB
	c  *tls.Conn
	br *bufio.Reader
}

// dialWire opens a wireConn to the env's listener with a fresh identity.
func (e *env) dialWire(t testing.TB) *wireConn {
	t.Helper()
	id := e.pki.issue(t)
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 30 * time.Second}, "tcp", e.addr, e.pki.clientTLS(id))
	if err != nil {
		t.Fatalf("wire dial: %v", err)
	}
	t.Cleanup(func() { _ = c.Close() })
	var key [16]byte
	_, _ = rand.Read(key[:])
	fmt.Fprintf(c, "GET /ws HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"+
		"Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n", e.addr, base64.StdEncoding.EncodeToString(key[:]))
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		t.Fatalf("wire upgrade: %v %v", resp, err)
	}
	return &wireConn{t: t, c: c, br: br}
}

// header writes the header of a binary frame announcing length bytes.
func (w *wireConn) header(length uint64) {
	w.t.Helper()
	h := []byte{0x82}
	switch {
	case length < 126:
		h = append(h, 0x80|byte(length))
	case length <= 0xffff:
		h = append(h, 0x80|126)
		h = binary.BigEndian.AppendUint16(h, uint16(length))
	default:
		h = append(h, 0x80|127)
		h = binary.BigEndian.AppendUint64(h, length)
	}
	h = append(h, 0, 0, 0, 0) // mask key
	if _, err := w.c.Write(h); err != nil {
		w.t.Fatalf("wire write: %v", err)
	}
}

// write writes raw payload bytes; it reports an error instead of failing,
// as the node may have closed already.
func (w *wireConn) write(b []byte) error {
	_, err := w.c.Write(b)
	return err
}

// send writes m as one whole frame.
func (w *wireConn) send(m protocol.Message) {
	w.t.Helper()
	b, err := m.MarshalBinary()
	if err != nil {
		w.t.Fatal(err)
	}
	w.header(uint64(len(b)))
	if err := w.write(b); err != nil {
		w.t.Fatalf("wire write: %v", err)
	}
}

// readFrame reads one (unmasked) frame from the node.
func (w *wireConn) readFrame() (op byte, payload []byte, err error) {
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
	if n > 1<<20 {
		return 0, nil, fmt.Errorf("frame of %d bytes", n)
	}
	payload = make([]byte, n)
	_, err = io.ReadFull(w.br, payload)
	return h[0] & 0x0f, payload, err
}

// handshake sends a full node's Handshake and reads the node's reply.
func (w *wireConn) handshake() {
	w.t.Helper()
	m, err := protocol.MakeMessage(protocol.MsgHandshake, handshakeMsg(protocol.NodeFullNode))
	if err != nil {
		w.t.Fatal(err)
	}
	w.send(m)
	op, b, err := w.readFrame()
	if err != nil || op != 2 {
		w.t.Fatalf("handshake reply: op %d, %v", op, err)
	}
	if r, err := protocol.DecodeMessage(b); err != nil || r.Type != protocol.MsgHandshake {
		w.t.Fatalf("handshake reply: %v %v", r.Type, err)
	}
}

// closeCode waits (30 s at most) for the node's close frame and returns
// its code; -1 if the connection ended without one.
func (w *wireConn) closeCode() int {
	w.t.Helper()
	_ = w.c.SetReadDeadline(time.Now().Add(30 * time.Second))
	for {
		op, b, err := w.readFrame()
		if err != nil {
			return -1
		}
		if op == 8 && len(b) >= 2 {
			return int(binary.BigEndian.Uint16(b))
		}
	}
}

// heapBytes returns the bytes of live heap objects after a collection.
func heapBytes() uint64 {
	runtime.GC()
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// chiaHeader is the start of a Message of type t without an id whose data
// is n bytes long.
func chiaHeader(t protocol.MessageType, n uint32) []byte {
	return binary.BigEndian.AppendUint32([]byte{byte(t), 0}, n)
}

// nonExempt is a listener of full nodes that exempts nobody, as a node
// treats peers from the Internet.
func nonExempt(cfg peer.Config) *peer.Handler {
	return &peer.Handler{Config: cfg, Exempt: func(*http.Request) bool { return false }}
}

// TestLargeBeforeHandshake: 16 connections that each start a 48 MiB
// message before the handshake and stall are closed at the header, and
// the node's heap stays small.
func TestLargeBeforeHandshake(t *testing.T) {
	e := startLoopback(t, nonExempt(listenerConfig()))
	before := heapBytes()
	const conns = 16
	const announced = 48 << 20
	ws := make([]*wireConn, conns)
	for i := range ws {
		w := e.dialWire(t)
		ws[i] = w
		if i%2 == 0 {
			// One frame announcing it all.
			w.header(announced)
		} else {
			// A small frame whose Chia header announces it all.
			w.header(64 << 10)
		}
		_ = w.write(chiaHeader(protocol.MsgHandshake, announced-6))
		// 4 MiB more: a node reading it all would hold 16 MiB per
		// connection by now.
		_ = w.write(make([]byte, 4<<20))
	}
	grown := int64(heapBytes()) - int64(before)
	for i, w := range ws {
		if code := w.closeCode(); code != peer.StatusMessageTooBig {
			t.Errorf("connection %d: close code %d, want %d", i, code, peer.StatusMessageTooBig)
		}
	}
	if grown > 64<<20 {
		t.Fatalf("the heap grew by %d MiB while %d peers stalled in 48 MiB messages", grown>>20, conns)
	}
	t.Logf("heap growth with %d stalled 48 MiB messages: %d KiB", conns, grown>>10)
}

// TestOversizedFrameAfterHandshake: a frame announcing 4 GiB or 60 MiB, or
// a message announcing 60 MiB in a small frame, is closed with 1009 after
// the node read only its header (the sender stalls after it).
func TestOversizedFrameAfterHandshake(t *testing.T) {
	e := startLoopback(t, nonExempt(listenerConfig()))
	for _, c := range []struct {
		name  string
		frame uint64
		chia  uint32
	}{
		{"frame of 4 GiB", 4 << 30, 4<<30 - 1},
		{"frame of 60 MiB", 60 << 20, 60<<20 - 6},
		{"message of 60 MiB in a 1 KiB frame", 1 << 10, 60 << 20},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := e.dialWire(t)
			w.handshake()
			e.nextAccepted(t)
			w.header(c.frame)
			_ = w.write(chiaHeader(protocol.MsgRespondBlocks, c.chia))
			_ = w.write(make([]byte, 100))
			if code := w.closeCode(); code != peer.StatusMessageTooBig {
				t.Fatalf("close code %d, want %d", code, peer.StatusMessageTooBig)
			}
			if r := e.nextClose(t); r.Ban != protocol.RateLimiterBan {
				t.Fatalf("close reason %v, want a %v ban", r, protocol.RateLimiterBan)
			}
		})
	}
	t.Run("over the type's limit", func(t *testing.T) {
		// request_peers may carry 100 bytes: announcing 1 MiB closes
		// as the rate limiter would, without reading it.
		w := e.dialWire(t)
		w.handshake()
		e.nextAccepted(t)
		w.header(1 << 20)
		_ = w.write(chiaHeader(protocol.MsgRequestPeers, 1<<20-6))
		if code := w.closeCode(); code != peer.StatusNormal {
			t.Fatalf("close code %d, want %d", code, peer.StatusNormal)
		}
		r := e.nextClose(t)
		if r.Ban != protocol.RateLimiterBan || !errors.Is(r, peer.ErrRateLimited) {
			t.Fatalf("close reason %v, want a rate-limit ban", r)
		}
	})
}

// TestReceiveBudget: 100 peers that each start an 8 MiB message after the
// handshake and stall hold no more than the node's receive budget, and
// the node keeps serving others meanwhile.
func TestReceiveBudget(t *testing.T) {
	const budget = 32 << 20
	b := peer.NewReceiveBudget(budget)
	cfg := listenerConfig()
	cfg.ReceiveBudget = b
	e := startLoopback(t, nonExempt(cfg))
	before := heapBytes()
	const senders = 100
	const announced = 8 << 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	var maxUsed int64
	ws := make([]*wireConn, senders)
	for i := range ws {
		w := e.dialWire(t)
		w.handshake()
		e.nextAccepted(t)
		ws[i] = w
		w.header(announced)
		_ = w.write(chiaHeader(protocol.MsgRespondBlocks, announced-6))
		// Half a megabyte each, from its own goroutine: a sender whose
		// message waits for the budget is not read, so its write blocks
		// once the socket buffers are full.
		wg.Go(func() { _ = w.write(make([]byte, 512<<10)) })
		mu.Lock()
		maxUsed = max(maxUsed, b.Used())
		mu.Unlock()
	}
	if used := b.Used(); used == 0 || used > budget {
		t.Fatalf("budget in use %d bytes, want some and at most %d", used, budget)
	}
	e.healthy(t)
	grown := int64(heapBytes()) - int64(before)
	// The budget, plus what the senders' own TLS writes hold in this
	// process, plus the 100 connections.
	if grown > budget+48<<20 {
		t.Fatalf("the heap grew by %d MiB with a %d MiB budget", grown>>20, budget>>20)
	}
	if maxUsed > budget {
		t.Fatalf("budget in use reached %d bytes, over its %d", maxUsed, budget)
	}
	t.Logf("heap growth with %d stalled 8 MiB messages and a %d MiB budget: %d MiB", senders, budget>>20, grown>>20)
	for _, w := range ws {
		_ = w.c.Close()
	}
	wg.Wait()
	for range senders {
		e.nextClose(t)
	}
	if used := b.Used(); used != 0 {
		t.Fatalf("%d bytes still reserved after every sender left", used)
	}
}
