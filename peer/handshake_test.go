package peer_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

// TestHandshakeBothDirections connects chianet dialers to a chianet
// listener and checks what each end learns of the other.
func TestHandshakeBothDirections(t *testing.T) {
	h := &peer.Handler{Config: listenerConfig()}
	e := startLoopback(t, h)
	_, portStr, _ := splitHostPort(e.addr)
	port, _ := strconv.Atoi(portStr)

	caps := func(cs ...protocol.Capability) protocol.CapabilitySet {
		var s protocol.CapabilitySet
		for _, c := range cs {
			s = s.With(c)
		}
		return s
	}
	base := []protocol.Capability{protocol.CapBase, protocol.CapBlockHeaders, protocol.CapRateLimitsV2}
	fullNodeCaps := caps(append(base, protocol.CapMempoolUpdates)...)

	for _, tc := range []struct {
		name     string
		nodeType protocol.NodeType
		v3       bool
		// wantVersion is the protocol version both ends record: the
		// dialer's own type decides it on both sides.
		wantVersion string
		wantDialer  protocol.CapabilitySet // the dialer's caps as the listener sees them
		wantServer  protocol.CapabilitySet // the listener's caps as the dialer sees them
	}{
		{"full node", protocol.NodeFullNode, false, "0.0.36", fullNodeCaps, fullNodeCaps},
		{"full node v3", protocol.NodeFullNode, true, "0.0.36",
			fullNodeCaps.With(protocol.CapRateLimitsV3), fullNodeCaps.With(protocol.CapRateLimitsV3)},
		{"wallet", protocol.NodeWallet, false, "0.0.38", caps(base...), fullNodeCaps},
		{"wallet v3", protocol.NodeWallet, true, "0.0.38",
			caps(base...).With(protocol.CapRateLimitsV3), fullNodeCaps.With(protocol.CapRateLimitsV3)},
		{"farmer", protocol.NodeFarmer, false, "0.0.38", caps(base...), fullNodeCaps},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h.Config.ServerPort = uint16(port)
			cfg := e.clientConfig()
			cfg.NodeType = tc.nodeType
			cfg.RateLimitsV3 = tc.v3
			cfg.ServerPort = 8555
			cfg.SoftwareVersion = "2.7.3\u200b"
			dialer := e.dial(t, cfg)
			listener := e.nextAccepted(t)
			di, li := dialer.Info(), listener.Info()

			if di.NodeID != e.pki.listener.id {
				t.Errorf("dialer sees node id %v, want the listener's certificate hash %v", di.NodeID, e.pki.listener.id)
			}
			if li.NodeID != e.pki.client.id {
				t.Errorf("listener sees node id %v, want the dialer's certificate hash %v", li.NodeID, e.pki.client.id)
			}
			if di.NodeType != protocol.NodeFullNode || li.NodeType != tc.nodeType {
				t.Errorf("node types: dialer sees %v, listener sees %v", di.NodeType, li.NodeType)
			}
			if di.ProtocolVersion != tc.wantVersion || li.ProtocolVersion != tc.wantVersion {
				t.Errorf("protocol versions: dialer sees %q, listener sees %q, want %q on both",
					di.ProtocolVersion, li.ProtocolVersion, tc.wantVersion)
			}
			if li.SoftwareVersion != "2.7.3" {
				t.Errorf("listener stored software version %q, want it sanitized to 2.7.3", li.SoftwareVersion)
			}
			if di.ServerPort != uint16(port) || li.ServerPort != 8555 {
				t.Errorf("server ports: dialer sees %d (want %d), listener sees %d (want 8555)", di.ServerPort, port, li.ServerPort)
			}
			if li.Capabilities != tc.wantDialer || di.Capabilities != tc.wantServer {
				t.Errorf("capabilities: listener sees %v (want %v), dialer sees %v (want %v)",
					li.Capabilities, tc.wantDialer, di.Capabilities, tc.wantServer)
			}
			if di.RateLimitsV3() != tc.v3 || li.RateLimitsV3() != tc.v3 {
				t.Errorf("v3 active: dialer %v, listener %v, want %v", di.RateLimitsV3(), li.RateLimitsV3(), tc.v3)
			}
			if di.TLSVersion != tls.VersionTLS13 || li.TLSVersion != tls.VersionTLS13 {
				t.Errorf("TLS versions: dialer sees %#x, listener sees %#x, want TLS 1.3 on both", di.TLSVersion, li.TLSVersion)
			}
			if !di.Outbound || li.Outbound {
				t.Errorf("outbound flags: dialer %v, listener %v", di.Outbound, li.Outbound)
			}
			loop := netip.MustParseAddr("127.0.0.1")
			if di.RemoteAddr.Addr() != loop || li.RemoteAddr.Addr() != loop {
				t.Errorf("remote addresses: %v, %v", di.RemoteAddr, li.RemoteAddr)
			}
			if s := dialer.Stats(); s.MessagesRead == 0 || s.BytesWritten == 0 || s.LastMessage.IsZero() {
				t.Errorf("dialer stats not counting the handshake: %+v", s)
			}
			if tc.nodeType != protocol.NodeFarmer { // a farmer may not send request_peers
				if _, err := dialer.RequestPeers(context.Background()); err != nil {
					t.Errorf("RequestPeers after handshake: %v", err)
				}
			}
			dialer.Close(nil)
			<-listener.Done()
			if r := e.nextClose(t); r.Code != peer.StatusNormal || !r.Remote || r.Ban != 0 {
				t.Errorf("listener close after the dialer's Close: %+v", r)
			}
		})
	}
}

func splitHostPort(a string) (string, string, error) {
	ap, err := netip.ParseAddrPort(a)
	if err != nil {
		return "", "", err
	}
	return ap.Addr().String(), strconv.Itoa(int(ap.Port())), nil
}

// A dial that reaches our own node id fails with ErrSelfConnection in the
// TLS handshake, whether or not the listener knows its id too (a node
// that dials itself through another address: both do).
func TestDialSelfConnection(t *testing.T) {
	for _, listenerKnows := range []bool{false, true} {
		t.Run(fmt.Sprintf("listener knows its id: %v", listenerKnows), func(t *testing.T) {
			h := &peer.Handler{Config: listenerConfig()}
			e := startLoopback(t, h)
			if listenerKnows { // before any connection
				h.Config.NodeID = e.pki.listener.id
			}
			cfg := e.clientConfig()
			cfg.TLS = e.pki.clientTLS(e.pki.listener) // the listener's own certificate
			_, err := peer.Dial(context.Background(), e.addr, cfg)
			if !errors.Is(err, peer.ErrSelfConnection) {
				t.Fatalf("self connection: %v, want ErrSelfConnection", err)
			}
			select {
			case p := <-e.accepted:
				t.Errorf("the listener took the connection from %v", p.Info().RemoteAddr)
			default:
			}
		})
	}
}

// TestDialCancelDuringUpgrade checks that cancelling the context of a dial
// with no deadline stops it while the server sits on the upgrade request
// (gorilla/websocket bounds that exchange only by a deadline).
func TestDialCancelDuringUpgrade(t *testing.T) {
	k := realPKI(t)
	block := make(chan struct{})
	addr := serveBench(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-block }), k.serverTLS(k.listener))
	defer close(block)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	_, err := peer.Dial(ctx, addr, peer.Config{NetworkID: testNetwork, TLS: k.clientTLS(k.client), ConnectTimeout: -1})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Dial: %v, want context.Canceled", err)
	}
}
