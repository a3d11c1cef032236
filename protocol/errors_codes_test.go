package protocol

import "testing"

func TestErrCodes(t *testing.T) {
	cases := []struct {
		c      ErrCode
		value  int
		name   string
		reason string
	}{
		{ErrCodeInvalidProtocolMessage, -4, "INVALID_PROTOCOL_MESSAGE", "-4"},
		{ErrCodeSelfConnection, -5, "SELF_CONNECTION", "-5"},
		{ErrCodeInvalidHandshake, -6, "INVALID_HANDSHAKE", "-6"},
		{ErrCodeInvalidAck, -7, "INVALID_ACK", "-7"},
		{ErrCodeIncompatibleProtocolVersion, -8, "INCOMPATIBLE_PROTOCOL_VERSION", "-8"},
		{ErrCodeDuplicateConnection, -9, "DUPLICATE_CONNECTION", "-9"},
		{ErrCodeMaxInboundConnectionsReached, -13, "MAX_INBOUND_CONNECTIONS_REACHED", "-13"},
		{ErrCodeUnknown, 1, "UNKNOWN", "1"},
		{ErrCodeIncompatibleNetworkID, 110, "INCOMPATIBLE_NETWORK_ID", "110"},
		{ErrCodeInternalProtocolError, 125, "INTERNAL_PROTOCOL_ERROR", "125"},
	}
	for _, c := range cases {
		if int(c.c) != c.value || c.c.String() != c.name || c.c.CloseReason() != c.reason {
			t.Errorf("%s: value %d, String %q, CloseReason %q", c.name, int(c.c), c.c.String(), c.c.CloseReason())
		}
		if got, ok := ParseCloseReason(c.reason); !ok || got != c.c {
			t.Errorf("ParseCloseReason(%q) = %v, %v", c.reason, got, ok)
		}
	}
	if got := ErrCode(42).String(); got != "ErrCode(42)" {
		t.Errorf("ErrCode(42).String() = %q", got)
	}
	for _, r := range []string{"", "x", "1.0"} {
		if _, ok := ParseCloseReason(r); ok {
			t.Errorf("ParseCloseReason(%q) succeeded", r)
		}
	}
}
