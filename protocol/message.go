package protocol

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/chianet/chianet/streamable"
)

// Message is the envelope every peer message travels in, one per
// WebSocket binary frame (the reference Message: type u8, id
// Optional[u16], data bytes).
//
// It is written by hand rather than generated because it is the one type
// on the hot path of every frame: DecodeMessage does not copy or allocate,
// and the id is a flag plus a value instead of a pointer.
//
// Wire layout, all integers big-endian:
//
//	offset 0  1 byte   type
//	offset 1  1 byte   id presence: 0 = no id, 1 = id follows
//	offset 2  2 bytes  id (only if present)
//	then      4 bytes  len(data)
//	then      data     the Streamable encoding of the payload
type Message struct {
	// Type says which payload Data holds. Any byte is carried; the
	// receiver checks Known.
	Type MessageType
	// HasID is set when the message carries a request id. Requests sent
	// through a request/response call have one, and so does their reply;
	// announcements, and requests such as request_peers sent without
	// waiting, do not.
	HasID bool
	// ID is the request id; it is meaningful only when HasID is set.
	ID uint16
	// Data is the encoded payload. After DecodeMessage it aliases the
	// input buffer.
	Data []byte
}

const (
	// messageHeaderLen is the header without an id: type, presence byte
	// and the u32 data length.
	messageHeaderLen = 1 + 1 + 4
	// messageIDLen is the extra header length when an id is present.
	messageIDLen = 2
)

// EncodedLen returns the length of m's encoding: 6 header bytes, 2 more
// with an id, then the data.
func (m *Message) EncodedLen() int {
	n := messageHeaderLen + len(m.Data)
	if m.HasID {
		n += messageIDLen
	}
	return n
}

// AppendTo appends m's encoding to b. It fails only if Data is longer than
// a u32 length can say. It does not apply MaxMessageSize or the per-type
// limits; the caller decides what it is willing to send.
func (m *Message) AppendTo(b []byte) ([]byte, error) {
	if uint64(len(m.Data)) > math.MaxUint32 {
		err := fmt.Errorf("%w: %d bytes of data do not fit a u32 length", streamable.ErrInvalidValue, len(m.Data))
		return b, messageError(err, "data")
	}
	b = append(b, byte(m.Type))
	if m.HasID {
		b = append(b, 1)
		b = binary.BigEndian.AppendUint16(b, m.ID)
	} else {
		b = append(b, 0)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(m.Data)))
	return append(b, m.Data...), nil
}

// MarshalBinary returns m's encoding in a new slice of exactly
// EncodedLen bytes.
func (m *Message) MarshalBinary() ([]byte, error) {
	return m.AppendTo(make([]byte, 0, m.EncodedLen()))
}

// UnmarshalBinary decodes b into m like DecodeMessage, but copies the
// data, so m does not alias b (the encoding.BinaryUnmarshaler contract).
func (m *Message) UnmarshalBinary(b []byte) error {
	d, err := DecodeMessage(b)
	if err != nil {
		return err
	}
	d.Data = append(make([]byte, 0, len(d.Data)), d.Data...)
	*m = d
	return nil
}

// DecodeMessage decodes one whole Message from b, such as one WebSocket
// frame. It neither copies nor allocates: the returned Data aliases b (with
// its capacity cut at its end, so appending to it cannot overwrite b), and
// stays valid only as long as b is not reused.
//
// It rejects input that ends early, a presence byte other than 0 or 1, a
// data length larger than the bytes left (checked before slicing) and
// bytes after the data, with a *streamable.Error whose path starts with
// "Message" (for example "Message.data: unexpected end of input"). It does
// not check the type: Message.Type.Known tells whether the reference would
// accept it.
func DecodeMessage(b []byte) (Message, error) {
	var m Message
	if len(b) < 1 {
		return Message{}, messageError(streamable.ErrUnexpectedEOF, "type")
	}
	m.Type = MessageType(b[0])
	if len(b) < 2 {
		return Message{}, messageError(streamable.ErrUnexpectedEOF, "id")
	}
	off := 2
	switch b[1] {
	case 0:
	case 1:
		if len(b) < off+messageIDLen {
			return Message{}, messageError(streamable.ErrUnexpectedEOF, "id")
		}
		m.HasID = true
		m.ID = binary.BigEndian.Uint16(b[off:])
		off += messageIDLen
	default:
		err := fmt.Errorf("%w: presence byte 0x%02x", streamable.ErrInvalidOptional, b[1])
		return Message{}, messageError(err, "id")
	}
	if len(b)-off < 4 {
		return Message{}, messageError(streamable.ErrUnexpectedEOF, "data")
	}
	n := binary.BigEndian.Uint32(b[off:])
	off += 4
	if left := len(b) - off; uint64(n) > uint64(left) {
		err := fmt.Errorf("%w: %d bytes announced, %d left", streamable.ErrLengthTooLarge, n, left)
		return Message{}, messageError(err, "data")
	}
	end := off + int(n)
	if end != len(b) {
		err := fmt.Errorf("%w: %d bytes not consumed", streamable.ErrTrailingBytes, len(b)-end)
		return Message{}, streamable.Field(err, "Message")
	}
	m.Data = b[off:end:end]
	return m, nil
}

// messageError wraps err as a failure in field of Message.
func messageError(err error, field string) error {
	return streamable.Field(streamable.Field(err, field), "Message")
}

// MakeMessage builds a Message of type t with no id whose data is the
// encoding of payload. A nil payload gives empty data (as for
// none_response).
func MakeMessage(t MessageType, payload streamable.Encoder) (Message, error) {
	m := Message{Type: t, Data: []byte{}}
	if payload == nil {
		return m, nil
	}
	data, err := streamable.Marshal(payload)
	if err != nil {
		return Message{}, err
	}
	m.Data = data
	return m, nil
}

// MakeRequest builds a Message of type t carrying request id id.
func MakeRequest(t MessageType, id uint16, payload streamable.Encoder) (Message, error) {
	m, err := MakeMessage(t, payload)
	if err != nil {
		return Message{}, err
	}
	m.HasID, m.ID = true, id
	return m, nil
}

// MakeReply builds the reply of type t to req. The reply reuses req's id,
// and has none if req had none, as the reference does; peers route replies
// by id alone.
func MakeReply(req *Message, t MessageType, payload streamable.Encoder) (Message, error) {
	m, err := MakeMessage(t, payload)
	if err != nil {
		return Message{}, err
	}
	m.HasID, m.ID = req.HasID, req.ID
	return m, nil
}

// Payload decodes m.Data as the payload type of m.Type (see NewPayload).
// The payload must use every byte. Byte fields are copies, so the value
// does not alias m.Data. To decode into a value of a known type instead,
// use streamable.Unmarshal(m.Data, &v).
func (m *Message) Payload() (Value, error) { return DecodePayload(m.Type, m.Data) }
