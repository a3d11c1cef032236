package protocol

import (
	"fmt"

	"github.com/chianet/chianet/streamable"
)

// NewPayload returns a pointer to a new zero value of the payload type that
// messages of type t carry (for example *PlotSyncPathList for types 80 to
// 83), ready for DecodeStreamable or DecodeJSONValue. ok is false for an
// unknown type.
func NewPayload(t MessageType) (v Value, ok bool) {
	v = newPayload(t)
	return v, v != nil
}

// PayloadTypeName returns the name of the payload type of message type t
// (the reference class name, "RequestSESInfo" for request_ses_hashes), or
// "" for an unknown type.
func PayloadTypeName(t MessageType) string { return payloadTypeNames[t] }

// DecodePayload decodes data as the payload of a message of type t. The
// value must use every byte of data; byte fields are copies, so the value
// does not alias data.
func DecodePayload(t MessageType, data []byte) (Value, error) {
	v, ok := NewPayload(t)
	if !ok {
		return nil, &streamable.Error{Err: fmt.Errorf("%w: no payload type for message type %v", streamable.ErrInvalidValue, t)}
	}
	if err := streamable.Unmarshal(data, v); err != nil {
		return nil, err
	}
	return v, nil
}

// NoneResponse is the payload of none_response (91): no fields, so its
// encoding is empty and its JSON is {}. The reference has no class for it
// (the message is sent with empty data), so it is declared here, outside
// the generated types, with its methods written by hand.
type NoneResponse struct{}

// EncodeStreamable appends nothing: a NoneResponse has no fields.
func (*NoneResponse) EncodeStreamable(w *streamable.Writer) {}

// DecodeStreamable reads nothing.
func (*NoneResponse) DecodeStreamable(r *streamable.Reader) error { return nil }

// AppendJSON appends {}.
func (*NoneResponse) AppendJSON(b []byte) []byte { return append(b, '{', '}') }

// DecodeJSONValue accepts any JSON object, as the generated decoders of
// field-less types do.
func (*NoneResponse) DecodeJSONValue(v any) error {
	_, err := streamable.JSONObject(v)
	return err
}

// MarshalJSON returns {}.
func (x *NoneResponse) MarshalJSON() ([]byte, error) { return x.AppendJSON(nil), nil }

// UnmarshalJSON accepts any JSON object.
func (x *NoneResponse) UnmarshalJSON(data []byte) error { return streamable.UnmarshalJSON(data, x) }

// Hash returns the SHA-256 of the empty encoding; it cannot fail.
func (x *NoneResponse) Hash() (Bytes32, error) {
	h, err := streamable.Hash(x)
	if err != nil {
		return Bytes32{}, err
	}
	return Bytes32(h), nil
}

// TypeName returns "NoneResponse".
func (*NoneResponse) TypeName() string { return "NoneResponse" }

// NoneResponse must satisfy Value like every generated payload type.
var _ Value = (*NoneResponse)(nil)
