package peer

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/chianet/chianet/internal/pep440"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/ratelimit"
	"github.com/chianet/chianet/streamable"
)

// open performs the handshake under the handshake timeout (and ctx, for a
// dial). On failure it closes the connection with the reference's action
// for the failure, finishes the peer and returns the reason.
func (p *Peer) open(ctx context.Context) *CloseReason {
	res := make(chan *CloseReason, 1)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		res <- p.handshake()
	}()
	var timeout <-chan time.Time
	if p.handshakeTimeout > 0 {
		t := time.NewTimer(p.handshakeTimeout)
		defer t.Stop()
		timeout = t.C
	}
	var r *CloseReason
	select {
	case r = <-res:
	case <-timeout:
		p.log.Debug("handshake timed out", "timeout", p.handshakeTimeout)
		if p.info.Outbound {
			r = NormalClose(ErrHandshakeTimeout)
		} else {
			r = ProtocolViolation(protocol.ErrCodeInvalidHandshake, protocol.InvalidProtocolBan, ErrHandshakeTimeout)
		}
	case <-ctx.Done():
		r = NormalClose(fmt.Errorf("peer: handshake: %w", ctx.Err()))
	}
	if r != nil {
		p.shutdown(r)
		return p.reason
	}
	p.log = p.log.With("node_type", p.info.NodeType)
	return nil
}

// invalidHandshake is the reason for a malformed or out-of-place
// handshake message (the reference's INVALID_HANDSHAKE).
func invalidHandshake(format string, args ...any) *CloseReason {
	return ProtocolViolation(protocol.ErrCodeInvalidHandshake, protocol.InvalidProtocolBan,
		fmt.Errorf("%w: %s", ErrInvalidHandshake, fmt.Sprintf(format, args...)))
}

// handshakeValue is the reason for an invalid node type or protocol
// version (the reference's ValueError: reason "1").
func handshakeValue(format string, args ...any) *CloseReason {
	return ProtocolViolation(protocol.ErrCodeUnknown, protocol.InvalidProtocolBan,
		fmt.Errorf("%w: %s", ErrHandshakeValue, fmt.Sprintf(format, args...)))
}

// duringHandshake adjusts a read failure that happened during the
// handshake. The close frame stays what the read path sends, but the
// reference then also fails the handshake, which bans for at least 10 s
// even when the peer itself closed.
func duringHandshake(r *CloseReason) *CloseReason {
	r.Ban = max(r.Ban, protocol.InvalidProtocolBan)
	if r.Err == nil {
		r.Err = ErrInvalidHandshake
	} else {
		r.Err = joinErr(ErrInvalidHandshake, r.Err)
	}
	return r
}

// send encodes and writes one handshake-phase message directly (the write
// queue is not in use yet).
func (p *Peer) send(t protocol.MessageType, payload protocol.Value) *CloseReason {
	m, err := protocol.MakeMessage(t, payload)
	if err != nil {
		// Only a local Config (such as an over-long version) gets here.
		return &CloseReason{Code: StatusInternalError, Err: err}
	}
	data, err := m.MarshalBinary()
	if err != nil {
		return &CloseReason{Code: StatusInternalError, Err: err}
	}
	if err := p.ws.Write(data); err != nil {
		return &CloseReason{Code: StatusAbnormal, Remote: true, Err: joinErr(ErrConnection, err)}
	}
	p.wrote(data)
	return nil
}

// handshake is the exchange of transport spec §3.2 with the checks of
// §3.3, on either side, followed by the ConfigureWindowSizes exchange of
// §3.6 when both sides have RATE_LIMITS_V3. It returns nil on success,
// with the peer's Info, limiters and windows set up.
func (p *Peer) handshake() *CloseReason {
	local := p.cfg.Capabilities
	if p.info.Outbound {
		if r := p.sendHandshake(local, protocol.ProtocolVersion(p.cfg.NodeType)); r != nil {
			return r
		}
	}
	hs, r := p.readHandshake()
	if r != nil {
		return r
	}
	if !p.info.Outbound {
		// The reply mirrors RATE_LIMITS_V3 and carries the protocol
		// version of the peer's node type, as the reference's does.
		local = mirrorV3(local, hs.Capabilities)
		if r := p.sendHandshake(local, protocol.ProtocolVersion(protocol.NodeType(hs.NodeType))); r != nil {
			return r
		}
	}
	p.recordHandshake(hs, local)
	var peerWindows map[protocol.MessageType]uint16
	if p.v3 {
		if peerWindows, r = p.exchangeWindows(); r != nil {
			return r
		}
	}
	p.setUpLimits(peerWindows)
	// From here on any message may come, up to the largest size.
	p.expect = 0
	p.ws.SetReadLimit(protocol.MaxMessageLen)
	p.log.Debug("handshake complete", "node_type", p.info.NodeType, "protocol_version", hs.ProtocolVersion,
		"software_version", p.info.SoftwareVersion, "capabilities", p.info.Capabilities, "v3", p.v3)
	return nil
}

// sendHandshake sends our Handshake with capabilities caps, announcing
// protocol version version.
func (p *Peer) sendHandshake(caps []protocol.HandshakeCapability, version string) *CloseReason {
	return p.send(protocol.MsgHandshake, &protocol.Handshake{
		NetworkID:       p.cfg.NetworkID,
		ProtocolVersion: version,
		SoftwareVersion: p.cfg.SoftwareVersion,
		ServerPort:      p.cfg.ServerPort,
		NodeType:        uint8(p.cfg.NodeType),
		Capabilities:    caps,
	})
}

// readHandshake reads the peer's Handshake and validates it.
func (p *Peer) readHandshake() (*protocol.Handshake, *CloseReason) {
	p.expect = protocol.MsgHandshake
	m, r := p.readFrame()
	if r != nil {
		return nil, duringHandshake(r)
	}
	if m.Type != protocol.MsgHandshake {
		return nil, invalidHandshake("first message is %v", m.Type)
	}
	var hs protocol.Handshake
	if err := streamable.Unmarshal(m.Data, &hs); err != nil {
		return nil, invalidHandshake("%v", err)
	}
	if r := p.validateHandshake(&hs); r != nil {
		return nil, r
	}
	return &hs, nil
}

// validateHandshake applies the reference's checks to the peer's
// Handshake, in its order.
func (p *Peer) validateHandshake(hs *protocol.Handshake) *CloseReason {
	if hs.NetworkID != p.cfg.NetworkID {
		p.log.Debug("incompatible network id", "network_id", hs.NetworkID)
		return ProtocolViolation(protocol.ErrCodeIncompatibleNetworkID, protocol.InvalidProtocolBan,
			fmt.Errorf("%w: %q", ErrNetworkID, hs.NetworkID))
	}
	nt := protocol.NodeType(hs.NodeType)
	if !nt.Valid() {
		return handshakeValue("node type %d", hs.NodeType)
	}
	if len(hs.SoftwareVersion) > protocol.MaxVersionStringBytes {
		return invalidHandshake("software version of %d bytes", len(hs.SoftwareVersion))
	}
	if !pep440.Valid(hs.ProtocolVersion) {
		return handshakeValue("protocol version %q is not PEP 440", hs.ProtocolVersion)
	}
	// Like the reference, a version mismatch only matters for the farmer
	// and harvester, and only earns a warning.
	for _, t := range []protocol.NodeType{p.cfg.NodeType, nt} {
		if (t == protocol.NodeFarmer || t == protocol.NodeHarvester) && hs.ProtocolVersion != protocol.ProtocolVersion(t) {
			p.log.Warn("protocol version mismatch", "node_type", t, "theirs", hs.ProtocolVersion, "ours", protocol.ProtocolVersion(t))
			break
		}
	}
	return nil
}

// mirrorV3 returns local with RATE_LIMITS_V3 added when the peer's
// capabilities have it and local does not.
func mirrorV3(local, peer []protocol.HandshakeCapability) []protocol.HandshakeCapability {
	if !protocol.ActiveCapabilities(peer).Has(protocol.CapRateLimitsV3) ||
		protocol.ActiveCapabilities(local).Has(protocol.CapRateLimitsV3) {
		return local
	}
	return append(local[:len(local):len(local)], protocol.HandshakeCapability{
		Capability: uint16(protocol.CapRateLimitsV3), Value: protocol.CapabilityEnabled,
	})
}

// recordHandshake fills in the peer's Info from its Handshake and our
// announced capabilities local.
func (p *Peer) recordHandshake(hs *protocol.Handshake, local []protocol.HandshakeCapability) {
	p.info.NodeType = protocol.NodeType(hs.NodeType)
	p.info.ProtocolVersion = hs.ProtocolVersion
	p.info.SoftwareVersion = sanitizeVersion(hs.SoftwareVersion)
	p.info.ServerPort = hs.ServerPort
	p.info.Capabilities = protocol.ActiveCapabilities(hs.Capabilities)
	p.info.LocalCapabilities = protocol.ActiveCapabilities(local)
	both := p.info.Capabilities.Intersect(p.info.LocalCapabilities)
	p.v2, p.v3 = both.Has(protocol.CapRateLimitsV2), both.Has(protocol.CapRateLimitsV3)
	if v, ok := pep440.Parse(hs.ProtocolVersion); ok {
		p.errorReplies = v.AtLeast(errorReplyVersion)
	}
}

// errorReplyVersion is the first protocol version the reference sends
// Error (255) replies to (error_response_version).
var errorReplyVersion = pep440.Release(0, 0, 35)

// exchangeWindows sends our ConfigureWindowSizes, reads the peer's and
// returns the windows it gives us.
func (p *Peer) exchangeWindows() (map[protocol.MessageType]uint16, *CloseReason) {
	if r := p.send(protocol.MsgConfigureWindowSizes, protocol.LocalConfigureWindowSizes()); r != nil {
		return nil, r
	}
	p.expect = protocol.MsgConfigureWindowSizes
	m, r := p.readFrame()
	if r != nil {
		return nil, duringHandshake(r)
	}
	if m.Type != protocol.MsgConfigureWindowSizes {
		return nil, invalidHandshake("expected configure_window_sizes, got %v", m.Type)
	}
	var cws protocol.ConfigureWindowSizes
	if err := streamable.Unmarshal(m.Data, &cws); err != nil {
		return nil, invalidHandshake("%v", err)
	}
	windows, err := ratelimit.ParsePeerWindows(&cws)
	if err != nil {
		return nil, invalidHandshake("%v", err)
	}
	return windows, nil
}

// setUpLimits makes the rate limiters and v3 windows the handshake
// agreed on, and decides which timers apply. The two limiters and the
// windows take about 13 KiB per peer, so a peer gets only those it uses:
// an exempt one no limiters, one without v3 no windows (readMessage,
// dispatch and gateOutbound look at them only in those cases).
func (p *Peer) setUpLimits(peerWindows map[protocol.MessageType]uint16) {
	cfg := &p.cfg
	if !p.info.Exempt {
		v2 := p.v2
		p.inLimit = ratelimit.New(ratelimit.Config{
			Percent: cfg.InboundRateLimitPercent, V2: v2, V3: p.v3, CountRejected: true,
		})
		// V3 stays off outbound: which of our messages skip this limiter
		// is decided by the peer's window settings (gateOutbound).
		p.outLimit = ratelimit.New(ratelimit.Config{Percent: cfg.OutboundRateLimitPercent, V2: v2})
	}
	if p.v3 {
		p.windows = ratelimit.NewWindows(peerWindows)
	}
	nt := p.info.NodeType
	p.pingApplies = p.info.Outbound && cfg.PingInterval > 0
	p.idleApplies = cfg.IdleTimeout > 0 && nt == protocol.NodeFullNode &&
		(cfg.NodeType == protocol.NodeFullNode || cfg.NodeType == protocol.NodeWallet)
}

// sanitizeVersion removes Unicode control (Cc) and format (Cf)
// characters, as the reference does before storing a peer's version.
func sanitizeVersion(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.In(r, unicode.Cc, unicode.Cf) {
			return -1
		}
		return r
	}, s)
}
