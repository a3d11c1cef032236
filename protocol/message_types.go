package protocol

import (
	"slices"
	"strconv"
)

// MessageType is the type byte of a Message: which payload its data holds
// and which handler receives it. The values are the reference
// ProtocolMessageTypes enum. The wire carries a plain u8, so a MessageType
// may hold a value that names no message; Known tells them apart.
//
// Ids 2 and 4 are unassigned: 2 was handshake_ack (removed in 2021; the
// handshake is one symmetric exchange) and 4 was the first
// new_signage_point_harvester (moved to 66). Receiving either is an
// unknown message type.
//
// The constants (MsgHandshake, ...), the names and the payload types of
// the known message types are generated from the one list in
// message_types.txt into gen_message_types.go.
type MessageType uint8

// messageTypesByName maps each reference name back to its id. It is built
// once from messageTypeNames so the two can never disagree.
var messageTypesByName = func() map[string]MessageType {
	m := make(map[string]MessageType, 128)
	for id, name := range messageTypeNames {
		if name != "" {
			m[name] = MessageType(id)
		}
	}
	return m
}()

// allMessageTypes lists the known types in increasing id order.
var allMessageTypes = func() []MessageType {
	var all []MessageType
	for id, name := range messageTypeNames {
		if name != "" {
			all = append(all, MessageType(id))
		}
	}
	return all
}()

// String returns the reference snake_case name ("request_peers"), or
// "unknown(N)" for an id that names no message.
func (t MessageType) String() string {
	if name := messageTypeNames[t]; name != "" {
		return name
	}
	return "unknown(" + strconv.Itoa(int(t)) + ")"
}

// Known reports whether t is one of the reference message types. A peer
// that sends an unknown type is disconnected and banned for 10 s, as for
// any malformed message.
func (t MessageType) Known() bool { return messageTypeNames[t] != "" }

// ParseMessageType returns the type whose reference name is name
// ("request_peers"). Matching is exact: names are lower case.
func ParseMessageType(name string) (MessageType, bool) {
	t, ok := messageTypesByName[name]
	return t, ok
}

// AllMessageTypes returns every known message type in increasing id order.
// The caller owns the returned slice.
func AllMessageTypes() []MessageType { return slices.Clone(allMessageTypes) }
