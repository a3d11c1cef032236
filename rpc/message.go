package rpc

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strconv"

	"github.com/chianet/chianet/streamable"
)

// Message is the daemon WebSocket's envelope, the reference's
// WsRpcMessage: requests and notifications have Ack false, responses Ack
// true with the request's Command and RequestID, Destination set to the
// request's Origin and Origin to its Destination.
type Message struct {
	// Command is the route or daemon command, e.g. "get_connections".
	Command string `json:"command"`
	// Ack is set on responses.
	Ack bool `json:"ack"`
	// Data is the request's fields or the response's object.
	Data json.RawMessage `json:"data"`
	// RequestID ties a response to its request; the reference makes 64
	// random hex characters, any string is accepted.
	RequestID string `json:"request_id"`
	// Destination is "daemon" or a service name such as
	// FullNodeService, or a subscriber such as "wallet_ui".
	Destination string `json:"destination"`
	// Origin is the sender's name.
	Origin string `json:"origin"`
}

// Notification channels of the reference's UI and metrics subscribers.
const (
	// WalletUI is the channel of state changes for the UI ("wallet_ui").
	WalletUI = "wallet_ui"
	// Metrics is the channel of the metrics exporter ("metrics").
	Metrics = "metrics"
	// DaemonName is the daemon's own destination ("daemon").
	DaemonName = "daemon"
)

// encodeMessage writes m with its keys sorted, as the reference's
// dict_to_json_str. m.Data must be canonical already (sorted keys, as
// encodeTree writes; see canonical); empty means {}.
func encodeMessage(m Message) []byte {
	data := m.Data
	if len(data) == 0 {
		data = json.RawMessage("{}")
	}
	b := make([]byte, 0, len(data)+len(m.Command)+len(m.RequestID)+len(m.Destination)+len(m.Origin)+96)
	b = append(b, `{"ack":`...)
	b = strconv.AppendBool(b, m.Ack)
	b = append(b, `,"command":`...)
	b = streamable.AppendString(b, m.Command)
	b = append(b, `,"data":`...)
	b = append(b, data...)
	b = append(b, `,"destination":`...)
	b = streamable.AppendString(b, m.Destination)
	b = append(b, `,"origin":`...)
	b = streamable.AppendString(b, m.Origin)
	b = append(b, `,"request_id":`...)
	b = streamable.AppendString(b, m.RequestID)
	return append(b, '}')
}

// canonical rewrites a JSON value with every object's keys sorted.
func canonical(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 {
		return json.RawMessage("{}"), nil
	}
	tree, err := decodeTree(raw)
	if err != nil {
		return nil, err
	}
	return encodeTree(tree)
}

// responseTo is the reference's format_response: the answer to in
// carrying data.
func responseTo(in Message, data json.RawMessage) Message {
	return Message{
		Command:     in.Command,
		Ack:         true,
		Data:        data,
		RequestID:   in.RequestID,
		Destination: in.Origin,
		Origin:      in.Destination,
	}
}

// newRequestID returns 32 random bytes in hex, as the reference's
// bytes32.secret().hex().
func newRequestID() string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
