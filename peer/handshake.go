package peer

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode"

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
// loop is not running yet).
func (p *Peer) send(t protocol.MessageType, payload protocol.Value) *CloseReason {
	m, err := protocol.MakeMessage(t, payload)
	if err == nil {
		var data []byte
		var pooled bool
		if data, pooled, err = encode(&m); err == nil {
			err = p.ws.write(noInterrupt, data)
			if pooled {
				putSendBuffer(data)
			}
			if err == nil {
				p.bytesWritten.Add(uint64(len(data)))
				p.messagesWritten.Add(1)
				return nil
			}
			return &CloseReason{Code: StatusAbnormal, Remote: true, Err: joinErr(ErrConnection, err)}
		}
	}
	// Only a local Config (such as an over-long version) gets here.
	return &CloseReason{Code: StatusInternalError, Err: err}
}

// handshake is the exchange of transport spec §3.2 with the checks of
// §3.3, on either side, followed by the ConfigureWindowSizes exchange of
// §3.6 when both sides have RATE_LIMITS_V3. It returns nil on success,
// with the peer's Info, limiters and windows set up.
func (p *Peer) handshake() *CloseReason {
	cfg := &p.cfg
	local := cfg.Capabilities
	if p.info.Outbound {
		if r := p.send(protocol.MsgHandshake, &protocol.Handshake{
			NetworkID:       cfg.NetworkID,
			ProtocolVersion: protocol.ProtocolVersion(cfg.NodeType),
			SoftwareVersion: cfg.SoftwareVersion,
			ServerPort:      cfg.ServerPort,
			NodeType:        uint8(cfg.NodeType),
			Capabilities:    local,
		}); r != nil {
			return r
		}
	}

	m, r := p.readFrame()
	if r != nil {
		return duringHandshake(r)
	}
	if m.Type != protocol.MsgHandshake {
		return invalidHandshake("first message is %v", m.Type)
	}
	var hs protocol.Handshake
	if err := streamable.Unmarshal(m.Data, &hs); err != nil {
		return invalidHandshake("%v", err)
	}
	if hs.NetworkID != cfg.NetworkID {
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
	if !validVersion(hs.ProtocolVersion) {
		return handshakeValue("protocol version %q is not PEP 440", hs.ProtocolVersion)
	}
	peerCaps := protocol.ActiveCapabilities(hs.Capabilities)
	// Like the reference, a version mismatch only matters for the farmer
	// and harvester, and only earns a warning.
	for _, t := range []protocol.NodeType{cfg.NodeType, nt} {
		if (t == protocol.NodeFarmer || t == protocol.NodeHarvester) && hs.ProtocolVersion != protocol.ProtocolVersion(t) {
			p.log.Warn("protocol version mismatch", "node_type", t, "theirs", hs.ProtocolVersion, "ours", protocol.ProtocolVersion(t))
			break
		}
	}

	if !p.info.Outbound {
		// The reply mirrors RATE_LIMITS_V3 and carries the protocol
		// version of the peer's node type, as the reference's does.
		if peerCaps.Has(protocol.CapRateLimitsV3) && !protocol.ActiveCapabilities(local).Has(protocol.CapRateLimitsV3) {
			local = append(local[:len(local):len(local)], protocol.HandshakeCapability{
				Capability: uint16(protocol.CapRateLimitsV3), Value: protocol.CapabilityEnabled,
			})
		}
		if r := p.send(protocol.MsgHandshake, &protocol.Handshake{
			NetworkID:       cfg.NetworkID,
			ProtocolVersion: protocol.ProtocolVersion(nt),
			SoftwareVersion: cfg.SoftwareVersion,
			ServerPort:      cfg.ServerPort,
			NodeType:        uint8(cfg.NodeType),
			Capabilities:    local,
		}); r != nil {
			return r
		}
	}

	localCaps := protocol.ActiveCapabilities(local)
	p.info.NodeType = nt
	p.info.ProtocolVersion = hs.ProtocolVersion
	p.info.SoftwareVersion = sanitizeVersion(hs.SoftwareVersion)
	p.info.ServerPort = hs.ServerPort
	p.info.Capabilities = peerCaps
	p.info.LocalCapabilities = localCaps
	both := peerCaps.Intersect(localCaps)
	p.v3 = both.Has(protocol.CapRateLimitsV3)

	var peerWindows map[protocol.MessageType]uint16
	if p.v3 {
		if r := p.send(protocol.MsgConfigureWindowSizes, protocol.LocalConfigureWindowSizes()); r != nil {
			return r
		}
		m, r := p.readFrame()
		if r != nil {
			return duringHandshake(r)
		}
		if m.Type != protocol.MsgConfigureWindowSizes {
			return invalidHandshake("expected configure_window_sizes, got %v", m.Type)
		}
		var cws protocol.ConfigureWindowSizes
		if err := streamable.Unmarshal(m.Data, &cws); err != nil {
			return invalidHandshake("%v", err)
		}
		var err error
		if peerWindows, err = ratelimit.ParsePeerWindows(&cws); err != nil {
			return invalidHandshake("%v", err)
		}
	}

	// The two limiters and the windows take about 13 KiB per peer, so a
	// peer gets only those it uses: an exempt one no limiters, one
	// without v3 no windows (readMessage, dispatch and gateOutbound look
	// at them only in those cases).
	if !p.info.Exempt {
		v2 := both.Has(protocol.CapRateLimitsV2)
		p.inLimit = ratelimit.New(ratelimit.Config{
			Percent: cfg.InboundRateLimitPercent, V2: v2, V3: p.v3, CountRejected: true, Now: cfg.now,
		})
		// V3 stays off outbound: which of our messages skip this limiter
		// is decided by the peer's window settings (gateOutbound).
		p.outLimit = ratelimit.New(ratelimit.Config{
			Percent: cfg.OutboundRateLimitPercent, V2: v2, Now: cfg.now,
		})
	}
	if p.v3 {
		p.windows = ratelimit.NewWindows(peerWindows)
	}
	if v, ok := parseVersion(hs.ProtocolVersion); ok {
		p.errorReplies = v.atLeast(errorReplyVersion)
	}
	p.pingApplies = p.info.Outbound && cfg.PingInterval > 0
	p.idleApplies = cfg.IdleTimeout > 0 && nt == protocol.NodeFullNode &&
		(cfg.NodeType == protocol.NodeFullNode || cfg.NodeType == protocol.NodeWallet)
	p.log.Debug("handshake complete", "node_type", nt, "protocol_version", hs.ProtocolVersion,
		"software_version", p.info.SoftwareVersion, "capabilities", peerCaps, "v3", p.v3)
	return nil
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
