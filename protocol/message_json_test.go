package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/chianet/chianet/streamable"
)

func TestMessageJSON(t *testing.T) {
	cases := []struct {
		m       Message
		payload []byte
		want    string
	}{
		{Message{Type: MsgRequestPeers, HasID: true, ID: 5, Data: []byte{}}, []byte(`{}`), `{"type":"request_peers","id":5,"data":{}}`},
		{Message{Type: MsgRequestPeers, Data: []byte{}}, []byte(`{}`), `{"type":"request_peers","id":null,"data":{}}`},
		{Message{Type: MsgConfigureWindowSizes, Data: []byte{1, 0xab}}, nil, `{"type":"configure_window_sizes","id":null,"data":"0x01ab"}`},
		{Message{Type: MessageType(2), HasID: true, ID: 65535, Data: nil}, nil, `{"type":2,"id":65535,"data":"0x"}`},
	}
	for _, c := range cases {
		got := string(c.m.AppendJSONWithPayload(nil, c.payload))
		if got != c.want {
			t.Errorf("AppendJSONWithPayload = %s, want %s", got, c.want)
			continue
		}
		v, err := streamable.ParseJSON([]byte(got))
		if err != nil {
			t.Fatal(err)
		}
		typ, hasID, id, data, err := ParseMessageJSON(v)
		if err != nil || typ != c.m.Type || hasID != c.m.HasID || id != c.m.ID || data == nil {
			t.Errorf("ParseMessageJSON(%s) = %v %v %v %v %v", got, typ, hasID, id, data, err)
		}
	}
}

func TestParseMessageJSON(t *testing.T) {
	ok := []struct {
		in    string
		typ   MessageType
		hasID bool
		id    uint16
	}{
		{`{"type":"handshake","data":{}}`, MsgHandshake, false, 0},
		{`{"type":43,"id":7,"data":{}}`, MsgRequestPeers, true, 7},
		{`{"type":255,"id":null}`, MsgError, false, 0},
		{`{"type":0}`, MessageType(0), false, 0},
	}
	for _, c := range ok {
		v, err := streamable.ParseJSON([]byte(c.in))
		if err != nil {
			t.Fatal(err)
		}
		typ, hasID, id, _, err := ParseMessageJSON(v)
		if err != nil || typ != c.typ || hasID != c.hasID || id != c.id {
			t.Errorf("ParseMessageJSON(%s) = %v %v %v, %v", c.in, typ, hasID, id, err)
		}
	}
	bad := []struct {
		in   string
		path string
	}{
		{`[]`, "Message"},
		{`{"id":1}`, "Message.type"},
		{`{"type":"handshake_ack"}`, "Message.type"},
		{`{"type":256}`, "Message.type"},
		{`{"type":-1}`, "Message.type"},
		{`{"type":true}`, "Message.type"},
		{`{"type":1,"id":65536}`, "Message.id"},
		{`{"type":1,"id":"5"}`, "Message.id"},
	}
	for _, c := range bad {
		v, err := streamable.ParseJSON([]byte(c.in))
		if err != nil {
			t.Fatal(err)
		}
		_, _, _, _, err = ParseMessageJSON(v)
		var se *streamable.Error
		if !errors.As(err, &se) || se.FieldPath() != c.path {
			t.Errorf("ParseMessageJSON(%s) error %v, want path %q", c.in, err, c.path)
		}
	}
}

// TestMessageMarshalJSON: a message renders with its payload's JSON and
// parses back to the same bytes, directly and through encoding/json.
func TestMessageMarshalJSON(t *testing.T) {
	cases := []struct {
		wire, json string
	}{
		{vecHandshake, `{"type":"handshake","id":null,"data":{"network_id":"mainnet","protocol_version":"0.0.38","software_version":"2.7.3","server_port":0,"node_type":6,"capabilities":[[1,"1"],[2,"1"],[3,"1"]]}}`},
		{"2b 01 0005 00000000", `{"type":"request_peers","id":5,"data":{}}`},
		{"2c 00 0000001b 00000001 00000009 3132372e302e302e31 20fc 0000000000002a2c", `{"type":"respond_peers","id":null,"data":{"peer_list":[{"host":"127.0.0.1","port":8444,"timestamp":10796}]}}`},
	}
	for _, c := range cases {
		wire := unhex(t, c.wire)
		m, err := DecodeMessage(wire)
		if err != nil {
			t.Fatal(err)
		}
		got, err := m.MarshalJSON()
		if err != nil || string(got) != c.json {
			t.Errorf("MarshalJSON = %s, %v\nwant %s", got, err, c.json)
		}
		if viaStd, err := json.Marshal(&m); err != nil || string(viaStd) != c.json {
			t.Errorf("json.Marshal = %s, %v", viaStd, err)
		}
		var back Message
		if err := back.UnmarshalJSON([]byte(c.json)); err != nil {
			t.Fatalf("UnmarshalJSON(%s): %v", c.json, err)
		}
		if b, _ := back.MarshalBinary(); !bytes.Equal(b, wire) {
			t.Errorf("UnmarshalJSON(%s) encodes to %x, want %x", c.json, b, wire)
		}
		var viaStd Message
		if err := json.Unmarshal([]byte(c.json), &viaStd); err != nil || !bytes.Equal(viaStd.Data, m.Data) || viaStd.Type != m.Type || viaStd.HasID != m.HasID || viaStd.ID != m.ID {
			t.Errorf("json.Unmarshal(%s) = %+v, %v", c.json, viaStd, err)
		}
	}
	// The type may be given by number, the id left out.
	var m Message
	if err := m.UnmarshalJSON([]byte(`{"type":43,"data":{}}`)); err != nil {
		t.Fatal(err)
	}
	if b, _ := m.MarshalBinary(); !bytes.Equal(b, []byte{0x2b, 0, 0, 0, 0, 0}) {
		t.Errorf("numeric type encodes to %x", b)
	}
}

// TestMessageJSONErrors: failures name the field, and a failed
// UnmarshalJSON leaves the message as it was.
func TestMessageJSONErrors(t *testing.T) {
	marshal := []struct {
		m    Message
		is   error
		want string
	}{
		{Message{Type: MessageType(2), Data: []byte{}}, streamable.ErrInvalidValue, "Message.type: invalid value: unknown message type 2"},
		{Message{Type: MsgRequestPeers, Data: []byte{0x0a}}, streamable.ErrTrailingBytes, "Message.data.RequestPeers: trailing bytes"},
		{Message{Type: MsgRespondPeers, Data: []byte{0, 0, 0, 1}}, streamable.ErrLengthTooLarge, "Message.data.RespondPeers.peer_list: length prefix exceeds"},
	}
	for _, c := range marshal {
		_, err := c.m.MarshalJSON()
		if !errors.Is(err, c.is) || err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("MarshalJSON(%v) error %v, want %q", c.m.Type, err, c.want)
		}
	}
	unmarshal := []struct {
		in   string
		is   error
		want string
	}{
		{`{"type":"request_peers"`, streamable.ErrInvalidJSON, "invalid JSON"},
		{`{"type":2,"data":{}}`, streamable.ErrInvalidValue, "Message.type: invalid value: unknown message type 2"},
		{`{"type":"nope","data":{}}`, streamable.ErrInvalidJSON, "Message.type: "},
		{`{"type":"respond_peers","data":{"peer_list":[{"host":"a","port":1}]}}`, streamable.ErrMissingField, "Message.data.peer_list[0].timestamp: missing field"},
		{`{"type":"request_peers"}`, streamable.ErrInvalidJSON, "Message.data: "},
		{`{"type":"new_proof_of_space","data":` + newProofOfSpaceVersion2JSON(t) + `}`, streamable.ErrInvalidValue, "NewProofOfSpace: invalid value: ProofOfSpace version 2"},
	}
	for _, c := range unmarshal {
		m := Message{Type: MsgHandshake, HasID: true, ID: 9, Data: []byte{1}}
		err := m.UnmarshalJSON([]byte(c.in))
		if !errors.Is(err, c.is) || !strings.HasPrefix(err.Error(), c.want) {
			t.Errorf("UnmarshalJSON(%s) error %v, want %q", c.in, err, c.want)
		}
		if m.Type != MsgHandshake || !m.HasID || m.ID != 9 || !bytes.Equal(m.Data, []byte{1}) {
			t.Errorf("UnmarshalJSON(%s) changed the message to %+v", c.in, m)
		}
	}
}

// newProofOfSpaceVersion2JSON is a NewProofOfSpace whose JSON is well
// formed but whose proof of space has a version no encoder writes.
func newProofOfSpaceVersion2JSON(t *testing.T) string {
	t.Helper()
	v := NewProofOfSpace{Proof: ProofOfSpace{Version: 2, Proof: []byte{}}}
	return string(v.AppendJSON(nil))
}
