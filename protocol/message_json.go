package protocol

import (
	"fmt"

	"github.com/chianet/chianet/streamable"
)

// The JSON form of a Message, for people and tools rather than the wire
// (the chianet decode and encode commands use it):
//
//	{"type":"request_peers","id":5,"data":{}}
//
// type is the reference name (or the number of an unknown type), id is
// null for a message without one, and data is the reference JSON of the
// payload, the value of the payload type of type that the message's data
// encodes.

// MarshalJSON renders m in its JSON form, with data decoded as the payload
// type of m.Type. It fails for a type no payload is known for
// ("Message.type: invalid value: unknown message type 2") and for data
// that is not a whole payload of the type
// ("Message.data.RequestPeers: trailing bytes ...").
func (m *Message) MarshalJSON() ([]byte, error) {
	p, ok := NewPayload(m.Type)
	if !ok {
		return nil, unknownMessageType(m.Type)
	}
	if err := streamable.Unmarshal(m.Data, p); err != nil {
		return nil, messageError(err, "data")
	}
	return m.AppendJSONWithPayload(nil, p.AppendJSON(nil)), nil
}

// UnmarshalJSON sets m from its JSON form: type may be a reference name or
// a number, id may be null or absent, and data must be the reference JSON
// of a payload of the type, whose encoding becomes m.Data. Errors carry
// the field path ("Message.data.peer_list[0].port: ..."). m is changed
// only on success.
func (m *Message) UnmarshalJSON(b []byte) error {
	jv, err := streamable.ParseJSON(b)
	if err != nil {
		return err
	}
	t, hasID, id, payloadJSON, err := ParseMessageJSON(jv)
	if err != nil {
		return err
	}
	p, ok := NewPayload(t)
	if !ok {
		return unknownMessageType(t)
	}
	if err := p.DecodeJSONValue(payloadJSON); err != nil {
		return messageError(err, "data")
	}
	data, err := streamable.Marshal(p)
	if err != nil {
		return err
	}
	*m = Message{Type: t, HasID: hasID, ID: id, Data: data}
	return nil
}

// unknownMessageType reports a message type id no payload is known for.
func unknownMessageType(t MessageType) error {
	err := fmt.Errorf("%w: unknown message type %d", streamable.ErrInvalidValue, uint8(t))
	return messageError(err, "type")
}

// AppendJSONWithPayload appends a JSON object describing m, for people and
// tools rather than the wire:
//
//	{"type":"request_peers","id":5,"data":{}}
//
// type is the reference name, or the number for an unknown type; id is
// null when m has none. data is payloadJSON as given (the payload's own
// JSON form, which the caller renders); if payloadJSON is nil, data is the
// raw bytes as a "0x…" hex string, as the reference renders Message itself.
func (m *Message) AppendJSONWithPayload(b []byte, payloadJSON []byte) []byte {
	b = append(b, `{"type":`...)
	if m.Type.Known() {
		b = streamable.AppendString(b, m.Type.String())
	} else {
		b = streamable.AppendUint(b, uint64(m.Type))
	}
	b = append(b, `,"id":`...)
	if m.HasID {
		b = streamable.AppendUint(b, uint64(m.ID))
	} else {
		b = streamable.AppendNull(b)
	}
	b = append(b, `,"data":`...)
	if payloadJSON == nil {
		b = streamable.AppendHex(b, m.Data)
	} else {
		b = append(b, payloadJSON...)
	}
	return append(b, '}')
}

// ParseMessageJSON reads the object AppendJSONWithPayload writes, from a
// value parsed by streamable.ParseJSON. type may be a reference name
// ("request_peers") or a number (0-255, known or not); id may be null or
// absent for no id; data is returned unparsed (nil if absent) so the caller
// can decode it with the payload type of t. Errors carry the field path
// ("Message.type: ...").
func ParseMessageJSON(v any) (t MessageType, hasID bool, id uint16, data any, err error) {
	obj, err := streamable.JSONObject(v)
	if err != nil {
		return 0, false, 0, nil, streamable.Field(err, "Message")
	}
	tv, err := streamable.JSONField(obj, "type")
	if err != nil {
		return 0, false, 0, nil, streamable.Field(err, "Message")
	}
	if name, ok := tv.(string); ok {
		var known bool
		if t, known = ParseMessageType(name); !known {
			err = fmt.Errorf("%w: unknown message type %q", streamable.ErrInvalidJSON, name)
			return 0, false, 0, nil, messageError(err, "type")
		}
	} else {
		n, err := streamable.JSONUint(tv, 8)
		if err != nil {
			return 0, false, 0, nil, messageError(err, "type")
		}
		t = MessageType(n)
	}
	if iv, ok := obj["id"]; ok && !streamable.JSONIsNull(iv) {
		n, err := streamable.JSONUint(iv, 16)
		if err != nil {
			return 0, false, 0, nil, messageError(err, "id")
		}
		hasID, id = true, uint16(n)
	}
	return t, hasID, id, obj["data"], nil
}
