package peer

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"io"
	"testing"

	"github.com/chianet/chianet/internal/ws"
	"github.com/chianet/chianet/protocol"
)

// scriptConn is a ws.Conn that reads the given messages, judging each
// header with the connection's CheckHeader and read limit as the
// WebSocket libraries do, then fails as a vanished peer; writes succeed.
type scriptConn struct {
	frames [][]byte
	opts   ws.Options
}

func (c *scriptConn) Read() (bool, []byte, error) {
	if len(c.frames) == 0 {
		return false, nil, io.ErrUnexpectedEOF
	}
	f := c.frames[0]
	c.frames = c.frames[1:]
	if c.opts.ReadLimit > 0 && len(f) > c.opts.ReadLimit {
		return false, nil, ws.ErrTooBig
	}
	if hlen := 6; len(f) >= hlen && f[1] <= 1 && c.opts.CheckHeader != nil {
		if f[1] == 1 {
			hlen = 8
		}
		if len(f) >= hlen {
			if err := c.opts.CheckHeader(f[0], int(binary.BigEndian.Uint32(f[hlen-4:]))); err != nil {
				return false, nil, err
			}
		}
	}
	return true, f, nil
}

func (c *scriptConn) Write([]byte) error         { return nil }
func (c *scriptConn) Ping(context.Context) error { return nil }
func (c *scriptConn) Close(int, string)          {}
func (c *scriptConn) SetReadLimit(n int)         { c.opts.ReadLimit = n }
func (c *scriptConn) TLS() tls.ConnectionState   { return tls.ConnectionState{Version: tls.VersionTLS13} }

// FuzzHandshake runs the inbound handshake on arbitrary Handshake and
// ConfigureWindowSizes messages: it must not panic, must fail with a close
// reason that carries its cause, and a peer it accepts must be of a valid
// node type with a bounded software version.
func FuzzHandshake(f *testing.F) {
	msg := func(t protocol.MessageType, v protocol.Value) []byte {
		m, err := protocol.MakeMessage(t, v)
		if err != nil {
			f.Fatal(err)
		}
		b, err := m.MarshalBinary()
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	hs := func(network, version, software string, nt uint8, caps ...protocol.HandshakeCapability) []byte {
		return msg(protocol.MsgHandshake, &protocol.Handshake{NetworkID: network, ProtocolVersion: version,
			SoftwareVersion: software, ServerPort: 8444, NodeType: nt, Capabilities: caps})
	}
	v3 := protocol.HandshakeCapability{Capability: uint16(protocol.CapRateLimitsV3), Value: protocol.CapabilityEnabled}
	windows := msg(protocol.MsgConfigureWindowSizes, protocol.LocalConfigureWindowSizes())
	f.Add(hs("mainnet", "0.0.37", "2.5.4", 1), windows)
	f.Add(hs("mainnet", "0.0.37", "2.5.4", 1, v3), windows)
	f.Add(hs("mainnet", "0.0.37", "2.5.4", 1, v3), windows[:len(windows)-1])
	f.Add(hs("mainnet", "0.0.37", "2.5.4", 1, v3), hs("mainnet", "0.0.37", "2.5.4", 1))
	f.Add(hs("testnet11", "0.0.37", "2.5.4", 1), windows)
	f.Add(hs("mainnet", "not a version", "2.5.4", 1), windows)
	f.Add(hs("mainnet", "0.0.37", "\x00\x1b[31m\u202e", 9), windows)
	f.Add(hs("mainnet", "0.0.30", "2.5.4", 3), windows)
	f.Add(windows, windows)
	f.Add([]byte{1, 0, 0, 0, 0, 0}, []byte{})
	f.Add([]byte{1, 2}, []byte{})
	f.Fuzz(func(t *testing.T, handshake, windowSizes []byte) {
		cfg := Config{NetworkID: "mainnet", RateLimitsV3: true}.withDefaults(false)
		if err := cfg.validate(); err != nil {
			t.Fatal(err)
		}
		p := newPeer(cfg, false, false)
		c := &scriptConn{frames: [][]byte{handshake, windowSizes}, opts: p.wsOptions()}
		p.attach(c, protocol.Bytes32{1}, "127.0.0.1:8444")
		r := p.handshake()
		if r == nil {
			info := p.Info()
			if !info.NodeType.Valid() || len(info.SoftwareVersion) > protocol.MaxVersionStringBytes {
				t.Fatalf("accepted a peer of type %d, software version %q", info.NodeType, info.SoftwareVersion)
			}
			r = NormalClose(errors.New("done"))
		} else if r.Err == nil {
			t.Fatalf("handshake failed without a cause: %+v", r)
		}
		p.shutdown(r)
	})
}
