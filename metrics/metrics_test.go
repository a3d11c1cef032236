package metrics

import (
	"errors"
	"fmt"
	"testing"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/server"
)

func TestReason(t *testing.T) {
	for _, c := range []struct {
		r    *peer.CloseReason
		want string
	}{
		{peer.NormalClose(nil), "closed"},
		{&peer.CloseReason{Code: 1006, Remote: true}, "remote_close"},
		{peer.BanClose(protocol.RateLimiterBan, fmt.Errorf("%w: x", peer.ErrRateLimited)), "rate_limit"},
		{peer.ProtocolViolation(protocol.ErrCodeIncompatibleNetworkID, 10, peer.ErrNetworkID), "network_id"},
		{peer.NormalClose(peer.ErrIdle), "idle"},
		{&peer.CloseReason{Code: 1006, Remote: true, Err: peer.ErrConnection}, "connection_lost"},
	} {
		if got := Reason(c.r); got != c.want {
			t.Errorf("Reason(%v) = %q, want %q", c.r, got, c.want)
		}
	}
}

func TestDialOutcome(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{nil, "connected"},
		{fmt.Errorf("server: dial x: %w", server.ErrDuplicate), "duplicate"},
		{fmt.Errorf("server: dial x: %w", server.ErrBanned), "banned"},
		{fmt.Errorf("server: dial x: %w", server.ErrSelfAddress), "self"},
		{fmt.Errorf("server: dial x: %w", peer.ProtocolViolation(protocol.ErrCodeInvalidHandshake, 10, peer.ErrInvalidHandshake)), "handshake_failed"},
		{errors.New("connection refused"), "unreachable"},
	} {
		if got := DialOutcome(c.err); got != c.want {
			t.Errorf("DialOutcome(%v) = %q, want %q", c.err, got, c.want)
		}
	}
}
