package ratelimit

import (
	"errors"
	"fmt"
	"sync"

	"github.com/chianet/chianet/protocol"
)

// V3Handled reports whether t is in the reference's v3 table
// (protocol.WindowV3), i.e. whether, once both peers advertise
// RATE_LIMITS_V3, it is limited by Windows instead of a Limiter. That
// holds for the responses and rejections of the table (window 0) as well
// as its requests.
func V3Handled(t protocol.MessageType) bool {
	_, ok := protocol.WindowV3(t)
	return ok
}

// ErrInvalidWindowSizes is wrapped by every error of ParsePeerWindows. The
// reference answers any of them with INVALID_HANDSHAKE
// (protocol.ErrCodeInvalidHandshake): close and a 10 s ban.
var ErrInvalidWindowSizes = errors.New("ratelimit: invalid ConfigureWindowSizes")

// ParsePeerWindows checks the ConfigureWindowSizes a peer sends right after
// the handshake and returns its windows by type (0 = unlimited), as the
// reference does (ws_connection.py perform_handshake,
// rate_limits_v3.py rl_settings_v3_from_configure_message):
//
//   - settings must not be empty, nor longer than
//     protocol.MaxConfigureRateLimitsEntries (256); unknown types count
//     toward both bounds, since the reference checks the raw list;
//   - a setting whose type number is not a reference message type is
//     skipped;
//   - for a type that our own v3 table leaves unlimited (window 0: the
//     responses and rejections) the window must be 0, so that a peer
//     cannot throttle our replies;
//   - any other known type is kept with whatever window the peer chose,
//     including types outside our v3 table; when a type appears twice,
//     the last setting wins.
//
// The result may be empty (every entry unknown); the reference accepts
// that too.
func ParsePeerWindows(msg *protocol.ConfigureWindowSizes) (map[protocol.MessageType]uint16, error) {
	if msg == nil {
		return nil, fmt.Errorf("%w: missing", ErrInvalidWindowSizes)
	}
	switch n := len(msg.Settings); {
	case n == 0:
		return nil, fmt.Errorf("%w: no settings", ErrInvalidWindowSizes)
	case n > protocol.MaxConfigureRateLimitsEntries:
		return nil, fmt.Errorf("%w: %d settings > %d", ErrInvalidWindowSizes, n, protocol.MaxConfigureRateLimitsEntries)
	}
	out := make(map[protocol.MessageType]uint16, len(msg.Settings))
	for _, s := range msg.Settings {
		t := protocol.MessageType(s.MessageType)
		if !t.Known() {
			continue
		}
		if local, ok := protocol.WindowV3(t); ok && local == 0 && s.WindowSize != 0 {
			return nil, fmt.Errorf("%w: window %d for unlimited type %s", ErrInvalidWindowSizes, s.WindowSize, t)
		}
		out[t] = s.WindowSize
	}
	return out, nil
}

// Windows is the v3 in-flight accounting of one connection (the
// reference's rate_limit_windows): how many of our requests of each type
// the peer has not answered yet, against the peer's windows, and how many
// of the peer's requests of each type we are still handling, against our
// own (protocol.WindowV3). It is safe for concurrent use.
type Windows struct {
	mu sync.Mutex
	// peer is the peer's window by type, 0 meaning unlimited or not set;
	// listed marks the types the peer's settings named.
	peer   [256]uint16
	listed [256]bool
	// inFlight counts our outstanding requests of the types with a
	// non-zero peer window; handling counts the peer's requests of the
	// types with a non-zero window of ours that a handler is working on.
	inFlight [256]int
	handling [256]int
}

// NewWindows returns the accounting for a connection whose peer sent the
// windows peer, as returned by ParsePeerWindows. The map is copied.
func NewWindows(peer map[protocol.MessageType]uint16) *Windows {
	w := &Windows{}
	for t, n := range peer {
		w.peer[t] = n
		w.listed[t] = true
	}
	return w
}

// PeerWindow returns the window the peer set for t, and whether its
// settings named t at all. The reference decides by the latter which
// outbound messages skip its v1/v2 limiter (see the package
// documentation).
func (w *Windows) PeerWindow(t protocol.MessageType) (window uint16, listed bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peer[t], w.listed[t]
}

// TryAcquireOutbound takes a slot for our outbound request of type t. It
// returns false, taking nothing, when the peer's window for t is full
// (in flight >= window, as in the reference); the caller then holds the
// request back and tries again later (the reference requeues after 1 s).
// A type without a non-zero peer window is not tracked and always gets
// true. Every true must be paired with one ReleaseOutbound.
func (w *Windows) TryAcquireOutbound(t protocol.MessageType) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	win := int(w.peer[t])
	if win == 0 {
		return true
	}
	if w.inFlight[t] >= win {
		return false
	}
	w.inFlight[t]++
	return true
}

// ReleaseOutbound gives back the slot of a request of type t once its
// reply has arrived or it has timed out. Releasing an untracked type, or
// more than was acquired, does nothing, so the count never goes below
// zero.
func (w *Windows) ReleaseOutbound(t protocol.MessageType) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.peer[t] != 0 && w.inFlight[t] > 0 {
		w.inFlight[t]--
	}
}

// BeginInbound records that a request of type t from the peer is about to
// be handled. It returns false, recording nothing, when our window for t
// (protocol.WindowV3, 2 for every request type) already has that many
// requests being handled (handling >= window, as the reference checks in
// ws_connection.py _api_call); that is a violation: the peer layer closes
// the connection and bans the peer for protocol.RateLimiterBan. Types
// outside our v3 table and those with window 0 are not tracked and always
// get true. Every true must be paired with one EndInbound, when the
// handler returns.
func (w *Windows) BeginInbound(t protocol.MessageType) bool {
	win, ok := protocol.WindowV3(t)
	if !ok || win == 0 {
		return true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.handling[t] >= int(win) {
		return false
	}
	w.handling[t]++
	return true
}

// EndInbound records that the handler of a request of type t has
// returned. Ending an untracked type, or more than were begun, does
// nothing.
func (w *Windows) EndInbound(t protocol.MessageType) {
	if win, ok := protocol.WindowV3(t); !ok || win == 0 {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.handling[t] > 0 {
		w.handling[t]--
	}
}
