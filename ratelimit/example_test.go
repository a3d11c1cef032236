package ratelimit_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/ratelimit"
)

// The inbound limiter of a connection: request_peers is allowed 10 times a
// minute; the 11th is a violation, on which the peer layer closes the
// connection and bans the peer for protocol.RateLimiterBan.
func ExampleLimiter_Check() {
	now := time.Unix(0, 0)
	in := ratelimit.New(ratelimit.Config{
		Percent:       protocol.InboundRateLimitPercent,
		V2:            true,
		CountRejected: true,
		Now:           func() time.Time { return now },
	})
	for range 10 {
		if err := in.Check(protocol.MsgRequestPeers, 0); err != nil {
			fmt.Println(err)
		}
	}
	err := in.Check(protocol.MsgRequestPeers, 0)
	var v *ratelimit.Violation
	if errors.As(err, &v) {
		fmt.Println(v.Reason, v.Observed, v.Limit)
		fmt.Println("ban for", protocol.RateLimiterBan)
	}

	now = now.Add(time.Minute) // a new bucket
	fmt.Println(in.Check(protocol.MsgRequestPeers, 0))
	// Output:
	// frequency 11 10
	// ban for 5m0s
	// <nil>
}

// The v3 windows after the ConfigureWindowSizes exchange.
func ExampleWindows() {
	peer, err := ratelimit.ParsePeerWindows(protocol.LocalConfigureWindowSizes())
	if err != nil {
		panic(err)
	}
	w := ratelimit.NewWindows(peer)

	// Our requests: at most 2 request_blocks in flight to this peer.
	fmt.Println(w.TryAcquireOutbound(protocol.MsgRequestBlocks), w.TryAcquireOutbound(protocol.MsgRequestBlocks))
	fmt.Println(w.TryAcquireOutbound(protocol.MsgRequestBlocks)) // wait and retry
	w.ReleaseOutbound(protocol.MsgRequestBlocks)                 // a reply came
	fmt.Println(w.TryAcquireOutbound(protocol.MsgRequestBlocks))

	// The peer's requests: a third concurrent one is a violation.
	fmt.Println(w.BeginInbound(protocol.MsgRequestCoinState), w.BeginInbound(protocol.MsgRequestCoinState))
	fmt.Println(w.BeginInbound(protocol.MsgRequestCoinState))
	// Output:
	// true true
	// false
	// true
	// true true
	// false
}
