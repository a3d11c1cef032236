package protocol

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

// Node ids, node types, message types and capabilities log as their text
// form in both slog formats, while the reference JSON of the wire types
// stays as it was.
func TestLogValues(t *testing.T) {
	var id Bytes32
	for i := range id {
		id[i] = byte(i)
	}
	attrs := []any{"node_id", id, "node_type", NodeWallet, "type", MsgRequestPeers, "cap", CapRateLimitsV2}
	hexID := "0x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

	var js bytes.Buffer
	slog.New(slog.NewJSONHandler(&js, nil)).Info("m", attrs...)
	var rec map[string]any
	if err := json.Unmarshal(js.Bytes(), &rec); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"node_id": hexID, "node_type": "WALLET", "type": "request_peers", "cap": "RATE_LIMITS_V2"} {
		if got, ok := rec[k].(string); !ok || got != want {
			t.Errorf("json %s: %#v, want %q", k, rec[k], want)
		}
	}

	var txt bytes.Buffer
	slog.New(slog.NewTextHandler(&txt, nil)).Info("m", attrs...)
	for _, want := range []string{"node_id=" + hexID, "node_type=WALLET", "type=request_peers", "cap=RATE_LIMITS_V2"} {
		if !strings.Contains(txt.String(), want) {
			t.Errorf("text: no %q in %s", want, txt.String())
		}
	}

	// The wire JSON is the codecs' own.
	hs := Handshake{NetworkID: "mainnet", ProtocolVersion: "0.0.36", SoftwareVersion: "2.7.3", NodeType: uint8(NodeWallet)}
	b, err := json.Marshal(&hs)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"node_type":6`) {
		t.Errorf("handshake JSON changed: %s", b)
	}
	c := Coin{ParentCoinInfo: id}
	if b, err = json.Marshal(&c); err != nil || !strings.Contains(string(b), `"parent_coin_info":"`+hexID+`"`) {
		t.Errorf("coin JSON: %s %v", b, err)
	}
}
