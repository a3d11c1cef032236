package node

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

// Config.InboundRateLimitPercent reaches the limiter of every accepted
// peer, through the server's peer.Config: request_peers may come 10 times
// a minute at 100 %, so six in a row are answered by default, while at
// 50 % (5 a minute) the sixth closes the connection the reference's way
// (code 1000, no reason) and bans the peer for 300 s. The node's
// OutboundRateLimitPercent is 100 here: at the default 30 % its own
// limiter drops every respond_peers after the third of a minute, as the
// reference's does.
//
// The limiter's 60 s buckets count from the handshake; the whole burst
// takes milliseconds, and a stall of a minute would first trip the
// failsafe bounds of the waits.
func TestInboundRateLimitPercent(t *testing.T) {
	client := chiatls.Tree{Root: t.TempDir()}
	if err := client.EnsureService(chiatls.FullNode); err != nil {
		t.Fatal(err)
	}
	tlsConf, err := client.ClientConfig(chiatls.FullNode)
	if err != nil {
		t.Fatal(err)
	}
	// 127.0.0.1 is the reference's localhost, which has no rate limits;
	// the rest of 127.0.0.0/8 is limited like any address.
	from := &net.Dialer{LocalAddr: net.TCPAddrFromAddrPort(netip.MustParseAddrPort("127.0.0.3:0"))}
	const burst = 6
	for _, tc := range []struct {
		percent int
		allowed int // requests answered before the close; burst: all, no close
	}{{0, burst}, {100, burst}, {50, 5}} {
		a := startNode(t, "a", func(c *Config) { c.InboundRateLimitPercent, c.OutboundRateLimitPercent = tc.percent, 100 })
		ctx, cancel := context.WithTimeout(context.Background(), failsafe)
		// Exempt: no outbound limit of our own (30 % would hold the
		// fourth request back).
		p, err := peer.Dial(ctx, a.addr(), peer.Config{NetworkID: "devnet", TLS: tlsConf, DialContext: from.DialContext, Exempt: true})
		if err != nil {
			t.Fatal(err)
		}
		answered := 0
		var reqErr error
		for range burst {
			if _, reqErr = p.RequestPeers(ctx); reqErr != nil {
				break
			}
			answered++
		}
		if answered != tc.allowed {
			t.Errorf("percent %d: %d of %d request_peers answered (last error %v), want %d", tc.percent, answered, burst, reqErr, tc.allowed)
		}
		if tc.allowed == burst {
			if reqErr != nil {
				t.Errorf("percent %d: %v", tc.percent, reqErr)
			}
			if bans := a.srv.Bans(); len(bans) != 0 {
				t.Errorf("percent %d: bans %v", tc.percent, bans)
			}
		} else {
			var r *peer.CloseReason
			if !errors.As(reqErr, &r) || !r.Remote || r.Code != peer.StatusNormal || r.Reason != "" {
				t.Errorf("percent %d: request %d failed with %v, want the node's close (1000, no reason)", tc.percent, answered+1, reqErr)
			} else {
				eventually(t, "the rate-limited peer banned", func() bool { return len(a.srv.Bans()) == 1 })
				b := a.srv.Bans()[0]
				if left := time.Until(b.Until); b.IP != netip.MustParseAddr("127.0.0.3") || left <= 290*time.Second || left > protocol.RateLimiterBan {
					t.Errorf("percent %d: ban %v, %v left; want 127.0.0.3 for %v", tc.percent, b.IP, left, protocol.RateLimiterBan)
				}
			}
		}
		p.Close(nil)
		<-p.Done()
		cancel()
		if err := a.shutdown(); err != nil {
			t.Fatal(err)
		}
	}
}
