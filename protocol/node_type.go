package protocol

import (
	"math/bits"
	"strconv"
	"strings"
)

// NodeType is the kind of service at the other end of a connection, as
// announced in Handshake.node_type (the reference NodeType enum). It
// decides which messages a peer may send (SenderAllowed) and which
// protocol_version string it is answered with.
type NodeType uint8

// The reference node types. The values are fixed by the wire.
const (
	// NodeFullNode is FULL_NODE: a node keeping the chain.
	NodeFullNode NodeType = 1
	// NodeHarvester is HARVESTER: reads plots for a farmer.
	NodeHarvester NodeType = 2
	// NodeFarmer is FARMER: coordinates harvesters and signs blocks.
	NodeFarmer NodeType = 3
	// NodeTimelord is TIMELORD: computes the VDFs.
	NodeTimelord NodeType = 4
	// NodeIntroducer is INTRODUCER: hands out peer addresses.
	NodeIntroducer NodeType = 5
	// NodeWallet is WALLET: a light client of full nodes.
	NodeWallet NodeType = 6
	// NodeDataLayer is DATA_LAYER.
	NodeDataLayer NodeType = 7
	// NodeSolver is SOLVER: solves partial proofs for a farmer. chia_rs and
	// go-chia-libs do not know this value.
	NodeSolver NodeType = 8
)

// nodeTypeNames holds the reference enum names, indexed by value.
var nodeTypeNames = [...]string{
	NodeFullNode:   "FULL_NODE",
	NodeHarvester:  "HARVESTER",
	NodeFarmer:     "FARMER",
	NodeTimelord:   "TIMELORD",
	NodeIntroducer: "INTRODUCER",
	NodeWallet:     "WALLET",
	NodeDataLayer:  "DATA_LAYER",
	NodeSolver:     "SOLVER",
}

// protocolVersions holds the reference protocol_version per node type
// (chia-blockchain main at the spec's snapshot; the 2.7.2/2.7.3 releases
// still say "0.0.37" for HARVESTER and FARMER).
var protocolVersions = [...]string{
	NodeFullNode:   "0.0.36",
	NodeHarvester:  "0.0.38",
	NodeFarmer:     "0.0.38",
	NodeTimelord:   "0.0.36",
	NodeIntroducer: "0.0.36",
	NodeWallet:     "0.0.38",
	NodeDataLayer:  "0.0.36",
	NodeSolver:     "0.0.37",
}

// Valid reports whether n is one of the eight reference node types. The
// reference rejects a handshake whose node_type is anything else.
func (n NodeType) Valid() bool { return n >= NodeFullNode && n <= NodeSolver }

// String returns the reference enum name ("FULL_NODE"), or "NodeType(N)"
// for a value that is not Valid.
func (n NodeType) String() string {
	if n.Valid() {
		return nodeTypeNames[n]
	}
	return "NodeType(" + strconv.Itoa(int(n)) + ")"
}

// ParseNodeType returns the node type named name. It accepts the reference
// enum name in any case ("FULL_NODE", "full_node").
func ParseNodeType(name string) (NodeType, bool) {
	for n := NodeFullNode; n <= NodeSolver; n++ {
		if strings.EqualFold(nodeTypeNames[n], name) {
			return n, true
		}
	}
	return 0, false
}

// ProtocolVersion returns the protocol_version string the reference puts in
// a handshake for node type t, or "" if t is not Valid.
//
// Note which type the lookup uses: the dialer sends the version of its own
// type, but the listener answers with the version of the *remote* type
// (a full node answering a wallet says "0.0.38").
func ProtocolVersion(t NodeType) string {
	if !t.Valid() {
		return ""
	}
	return protocolVersions[t]
}

// Capability is a feature flag announced in Handshake.capabilities, as the
// number of a (number, value) pair (the reference Capability enum).
type Capability uint16

// The reference capabilities.
const (
	// CapBase means the peer speaks the mainnet protocol. Always sent.
	CapBase Capability = 1
	// CapBlockHeaders means the peer supports request_block_headers
	// (86-88). Always sent.
	CapBlockHeaders Capability = 2
	// CapRateLimitsV2 selects the v2 rate-limit overrides when both sides
	// have it. Always sent.
	CapRateLimitsV2 Capability = 3
	// CapNoneResponse is no longer advertised by the reference.
	CapNoneResponse Capability = 4
	// CapMempoolUpdates opts in to mempool_items_added/removed. The
	// reference full node advertises it; its wallet does not.
	CapMempoolUpdates Capability = 5
	// CapHardFork2 signals Hard Fork 2 support. Not in the defaults.
	CapHardFork2 Capability = 6
	// CapRateLimitsV3 selects window-based limits and the
	// ConfigureWindowSizes exchange when both sides have it. Advertised on
	// outbound connections only when configured; always mirrored on inbound.
	CapRateLimitsV3 Capability = 7
)

// CapabilityEnabled is the only value string that turns a capability on.
const CapabilityEnabled = "1"

// capabilityNames holds the reference enum names, indexed by value.
var capabilityNames = [...]string{
	CapBase:           "BASE",
	CapBlockHeaders:   "BLOCK_HEADERS",
	CapRateLimitsV2:   "RATE_LIMITS_V2",
	CapNoneResponse:   "NONE_RESPONSE",
	CapMempoolUpdates: "MEMPOOL_UPDATES",
	CapHardFork2:      "HARD_FORK_2",
	CapRateLimitsV3:   "RATE_LIMITS_V3",
}

// Known reports whether c is one of the reference capabilities.
func (c Capability) Known() bool { return c >= CapBase && c <= CapRateLimitsV3 }

// String returns the reference enum name ("RATE_LIMITS_V2"), or
// "Capability(N)" for an unknown number.
func (c Capability) String() string {
	if c.Known() {
		return capabilityNames[c]
	}
	return "Capability(" + strconv.Itoa(int(c)) + ")"
}

// DefaultCapabilities returns the capabilities the reference announces for
// node type t: BASE, BLOCK_HEADERS and RATE_LIMITS_V2, plus MEMPOOL_UPDATES
// for a full node. RATE_LIMITS_V3 is not a default: it is added by
// configuration (outbound) or by mirroring the peer (inbound). Every call
// returns a new slice the caller may modify.
func DefaultCapabilities(t NodeType) []HandshakeCapability {
	caps := make([]HandshakeCapability, 0, 4)
	for _, c := range []Capability{CapBase, CapBlockHeaders, CapRateLimitsV2} {
		caps = append(caps, HandshakeCapability{Capability: uint16(c), Value: CapabilityEnabled})
	}
	if t == NodeFullNode {
		caps = append(caps, HandshakeCapability{Capability: uint16(CapMempoolUpdates), Value: CapabilityEnabled})
	}
	return caps
}

// CapabilitySet is a set of known capabilities: bit c is set when
// capability c is active. The zero value is the empty set.
type CapabilitySet uint64

// ActiveCapabilities reduces a handshake's capability list the way the
// reference known_active_capabilities does: an entry counts only if its
// value is exactly "1" and its number is a known Capability; anything else
// is silently ignored. A number listed both with "1" and with another value
// counts as active.
func ActiveCapabilities(caps []HandshakeCapability) CapabilitySet {
	var s CapabilitySet
	for _, hc := range caps {
		if hc.Value == CapabilityEnabled && Capability(hc.Capability).Known() {
			s |= 1 << hc.Capability
		}
	}
	return s
}

// Has reports whether c is in s.
func (s CapabilitySet) Has(c Capability) bool { return c < 64 && s&(1<<c) != 0 }

// With returns s with c added. Unknown capabilities are not added, as
// ActiveCapabilities would not add them either.
func (s CapabilitySet) With(c Capability) CapabilitySet {
	if !c.Known() {
		return s
	}
	return s | 1<<c
}

// Intersect returns the capabilities in both s and o: what two peers may
// use ("both sides advertise").
func (s CapabilitySet) Intersect(o CapabilitySet) CapabilitySet { return s & o }

// Len returns the number of capabilities in s.
func (s CapabilitySet) Len() int { return bits.OnesCount64(uint64(s)) }

// List returns the capabilities in s in increasing order.
func (s CapabilitySet) List() []Capability {
	out := make([]Capability, 0, s.Len())
	for c := CapBase; c <= CapRateLimitsV3; c++ {
		if s.Has(c) {
			out = append(out, c)
		}
	}
	return out
}

// String lists the names in increasing order, e.g. "[BASE RATE_LIMITS_V2]".
func (s CapabilitySet) String() string {
	var sb strings.Builder
	sb.WriteByte('[')
	for i, c := range s.List() {
		if i > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(c.String())
	}
	sb.WriteByte(']')
	return sb.String()
}
