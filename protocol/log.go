package protocol

import "log/slog"

// The types below log as they print: a node id or hash as "0x" + hex, an
// enum as its reference name. Without these, slog's JSON handler would
// write a Bytes32 as an array of 32 numbers and an enum as a bare number
// (its text handler already used String). Only logging changes: the
// reference JSON of the wire types is written by their own codecs.

// LogValue returns b as "0x" + hex.
func (b Bytes32) LogValue() slog.Value { return slog.StringValue(b.String()) }

// LogValue returns the node type's reference name ("FULL_NODE").
func (n NodeType) LogValue() slog.Value { return slog.StringValue(n.String()) }

// LogValue returns the message type's reference name ("request_peers").
func (t MessageType) LogValue() slog.Value { return slog.StringValue(t.String()) }

// LogValue returns the capability's reference name ("RATE_LIMITS_V2").
func (c Capability) LogValue() slog.Value { return slog.StringValue(c.String()) }

var (
	_ slog.LogValuer = Bytes32{}
	_ slog.LogValuer = NodeType(0)
	_ slog.LogValuer = MessageType(0)
	_ slog.LogValuer = Capability(0)
)
