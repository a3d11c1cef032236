package protocol

import "strconv"

// ErrCode is a value of the reference Err enum as the transport uses it:
// the decimal value is the WebSocket close reason of a protocol failure
// (see CloseReason), and Error.code carries one in an error reply. Only the
// codes the transport deals in are named here.
type ErrCode int

// The Err values of the transport. Several exist in the reference but are
// never raised; they are kept so a received close reason can be named.
const (
	// ErrCodeUnknown (1) is the reason for an unexpected failure, such as a
	// handshake with an invalid node type or version string, or an exception
	// in a message handler.
	ErrCodeUnknown ErrCode = 1
	// ErrCodeInvalidProtocolMessage (-4) is the reason for an unparsable
	// message, an unknown type or a wrong reply type. (The reference also
	// raises it for a message without a handler or from a node type that
	// may not send it, but closes those with ErrCodeUnknown, like every
	// failure while dispatching a message.)
	ErrCodeInvalidProtocolMessage ErrCode = -4
	// ErrCodeSelfConnection (-5) is never raised by the reference.
	ErrCodeSelfConnection ErrCode = -5
	// ErrCodeInvalidHandshake (-6) is the reason for a missing, malformed or
	// out-of-place Handshake or ConfigureWindowSizes, and for a handshake
	// timeout.
	ErrCodeInvalidHandshake ErrCode = -6
	// ErrCodeInvalidAck (-7) survives from the removed handshake_ack; unused.
	ErrCodeInvalidAck ErrCode = -7
	// ErrCodeIncompatibleProtocolVersion (-8) is never raised by the reference.
	ErrCodeIncompatibleProtocolVersion ErrCode = -8
	// ErrCodeDuplicateConnection (-9) is never raised by the reference.
	ErrCodeDuplicateConnection ErrCode = -9
	// ErrCodeMaxInboundConnectionsReached (-13) is never raised by the
	// reference: it closes refused inbound peers with no reason.
	ErrCodeMaxInboundConnectionsReached ErrCode = -13
	// ErrCodeIncompatibleNetworkID (110) is the reason for a handshake whose
	// network_id differs from ours.
	ErrCodeIncompatibleNetworkID ErrCode = 110
	// ErrCodeInternalProtocolError (125) is the reason for a local protocol
	// logic error, such as broadcasting a type that expects a reply.
	ErrCodeInternalProtocolError ErrCode = 125
)

// String returns the reference enum name ("INVALID_HANDSHAKE"), or
// "ErrCode(N)" for a value not named here.
func (c ErrCode) String() string {
	switch c {
	case ErrCodeUnknown:
		return "UNKNOWN"
	case ErrCodeInvalidProtocolMessage:
		return "INVALID_PROTOCOL_MESSAGE"
	case ErrCodeSelfConnection:
		return "SELF_CONNECTION"
	case ErrCodeInvalidHandshake:
		return "INVALID_HANDSHAKE"
	case ErrCodeInvalidAck:
		return "INVALID_ACK"
	case ErrCodeIncompatibleProtocolVersion:
		return "INCOMPATIBLE_PROTOCOL_VERSION"
	case ErrCodeDuplicateConnection:
		return "DUPLICATE_CONNECTION"
	case ErrCodeMaxInboundConnectionsReached:
		return "MAX_INBOUND_CONNECTIONS_REACHED"
	case ErrCodeIncompatibleNetworkID:
		return "INCOMPATIBLE_NETWORK_ID"
	case ErrCodeInternalProtocolError:
		return "INTERNAL_PROTOCOL_ERROR"
	}
	return "ErrCode(" + strconv.Itoa(int(c)) + ")"
}

// CloseReason returns the WebSocket close reason the reference sends for c:
// its decimal value ("-6", "110").
func (c ErrCode) CloseReason() string { return strconv.Itoa(int(c)) }

// ParseCloseReason reads a WebSocket close reason sent by a peer. ok is
// false for an empty or non-numeric reason (a plain close).
func ParseCloseReason(reason string) (c ErrCode, ok bool) {
	n, err := strconv.Atoi(reason)
	if err != nil {
		return 0, false
	}
	return ErrCode(n), true
}
