package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chianet/chianet/protocol"
)

// chianet runs the tool in-process and returns stdout, stderr and the
// exit code.
func chianet(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), code
}

const respondPeersHex = "00000001000000093132372e302e302e3120fc0000000000002a2c"

func TestDecodeEncodeRoundTrip(t *testing.T) {
	out, errOut, code := chianet(t, respondPeersHex+"\n", "decode", "--type", "RespondPeers", "--hex", "--compact")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := `{"peer_list":[{"host":"127.0.0.1","port":8444,"timestamp":10796}]}` + "\n"
	if out != want {
		t.Fatalf("decode printed %q, want %q", out, want)
	}
	hexOut, errOut, code := chianet(t, out, "encode", "--type", "RespondPeers")
	if code != 0 || hexOut != respondPeersHex+"\n" {
		t.Fatalf("encode: exit %d, %q %s", code, hexOut, errOut)
	}
}

func TestDecodeBinaryFile(t *testing.T) {
	p := filepath.Join(t.TempDir(), "msg.bin")
	if err := os.WriteFile(p, []byte{0x2b, 0x01, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00}, 0o644); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := chianet(t, "", "decode", "--type", "Message", "--compact", p)
	if code != 0 || out != `{"type":"request_peers","id":5,"data":{}}`+"\n" {
		t.Fatalf("exit %d: %q %s", code, out, errOut)
	}
}

func TestMessageEnvelope(t *testing.T) {
	// A handshake without id, as it travels (transport spec §1.2 vector).
	frame := "0100" + "0000003a" + "000000076d61696e6e6574" + "00000006302e302e3338" + "00000005322e372e33" +
		"0000" + "06" + "00000003" + "00010000000131" + "00020000000131" + "00030000000131"
	out, errOut, code := chianet(t, frame, "decode", "--type", "Message", "--hex", "--compact")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	want := `{"type":"handshake","id":null,"data":{"network_id":"mainnet","protocol_version":"0.0.38","software_version":"2.7.3","server_port":0,"node_type":6,"capabilities":[[1,"1"],[2,"1"],[3,"1"]]}}` + "\n"
	if out != want {
		t.Fatalf("got  %s\nwant %s", out, want)
	}
	back, errOut, code := chianet(t, out, "encode", "--type", "Message")
	if code != 0 || strings.TrimSpace(back) != frame {
		t.Fatalf("encode: exit %d %q %s", code, back, errOut)
	}
	// The type may also be given by number.
	back, _, code = chianet(t, `{"type":43,"id":5,"data":{}}`, "encode", "--type", "Message")
	if code != 0 || back != "2b01000500000000\n" {
		t.Fatalf("numeric type: exit %d %q", code, back)
	}
}

func TestHash(t *testing.T) {
	coin := strings.Repeat("00", 64) + "000000e8d4a51000"
	out, errOut, code := chianet(t, coin, "hash", "--type", "Coin", "--hex")
	if code != 0 || out != "0x359a8a90c3b56b422d13b3ceac69d2e4112d562ac15a11b64f0373d6edbd2a68\n" {
		t.Fatalf("coin id: exit %d %q %s", code, out, errOut)
	}
	// Any other type: the SHA-256 of the serialization (of RequestPeers:
	// the empty string).
	out, _, code = chianet(t, "", "hash", "--type", "RequestPeers", "--hex")
	if code != 0 || out != "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n" {
		t.Fatalf("sha256: exit %d %q", code, out)
	}
	// The same coin given as reference JSON.
	coinJSON := `{"parent_coin_info":"0x` + strings.Repeat("00", 32) + `","puzzle_hash":"0x` + strings.Repeat("00", 32) + `","amount":1000000000000}`
	out, errOut, code = chianet(t, coinJSON, "hash", "--type", "Coin", "--json")
	if code != 0 || out != "0x359a8a90c3b56b422d13b3ceac69d2e4112d562ac15a11b64f0373d6edbd2a68\n" {
		t.Fatalf("coin id from JSON: exit %d %q %s", code, out, errOut)
	}
	out, errOut, code = chianet(t, `{"type":"request_peers","id":5,"data":{}}`, "hash", "--type", "Message", "--json")
	if want := sha256Bytes([]byte{0x2b, 1, 0, 5, 0, 0, 0, 0}).String() + "\n"; code != 0 || out != want {
		t.Fatalf("message from JSON: exit %d %q %s, want %q", code, out, errOut, want)
	}
}

// A value that cannot be serialized has no hash: the command fails with
// one line saying so and why, and prints nothing.
func TestHashOfUnserializableValue(t *testing.T) {
	pos := protocol.ProofOfSpace{Version: 2, Proof: []byte{}}
	out, errOut, code := chianet(t, string(pos.AppendJSON(nil)), "hash", "--type", "ProofOfSpace", "--json")
	if code == 0 || out != "" {
		t.Fatalf("exit %d, printed %q", code, out)
	}
	want := "chianet: ProofOfSpace has no hash because it cannot be serialized: ProofOfSpace: invalid value: ProofOfSpace version 2 (only 0 and 1 exist)\n"
	if errOut != want {
		t.Fatalf("error %q, want %q", errOut, want)
	}
	// A spend bundle whose program is not CLVM has no name.
	bad := &protocol.SpendBundle{CoinSpends: []protocol.CoinSpend{{PuzzleReveal: protocol.Program{0xff}, Solution: protocol.Program{0x80}}}}
	if h, err := hashOf(bad); err == nil || !strings.HasPrefix(err.Error(), "SpendBundle has no hash because it cannot be serialized: ") || !strings.Contains(err.Error(), "CLVM") {
		t.Fatalf("hashOf(bad spend bundle) = %v, %v", h, err)
	}
	// Nested inside a larger value, the same.
	rcb := protocol.RewardChainBlock{ProofOfSpace: pos}
	_, errOut, code = chianet(t, string(rcb.AppendJSON(nil)), "hash", "--type", "RewardChainBlock", "--json")
	if code == 0 || !strings.HasPrefix(errOut, "chianet: RewardChainBlock has no hash because it cannot be serialized: ") || !strings.Contains(errOut, "ProofOfSpace version 2") || strings.Count(errOut, "\n") != 1 {
		t.Fatalf("exit %d, error %q", code, errOut)
	}
}

func TestTypes(t *testing.T) {
	out, _, code := chianet(t, "", "types")
	if code != 0 {
		t.Fatal(code)
	}
	for _, want := range []string{"  FullBlock\n", "  RespondPeers\n", " 43 request_peers", "RequestPeers", "255 error", "111 configure_window_sizes"} {
		if !strings.Contains(out, want) {
			t.Errorf("types output lacks %q", want)
		}
	}
}

// Bad input exits non-zero with one line naming what is wrong.
func TestBadInput(t *testing.T) {
	cases := []struct {
		name, stdin string
		args        []string
		want        string
	}{
		{"unknown type", "", []string{"decode", "--type", "Nope", "--hex"}, `unknown type "Nope"`},
		{"truncated", "0000", []string{"decode", "--type", "RespondBlock", "--hex"}, "RespondBlock.block.finished_sub_slots: unexpected end of input"},
		{"trailing", respondPeersHex + "00", []string{"decode", "--type", "RespondPeers", "--hex"}, "RespondPeers: trailing bytes"},
		{"not hex", "zz", []string{"decode", "--type", "RespondPeers", "--hex"}, "not hex"},
		{"invalid json", "{", []string{"encode", "--type", "RespondPeers"}, "invalid JSON"},
		{"missing field", `{"peer_list":[{"host":"a","port":1}]}`, []string{"encode", "--type", "RespondPeers"}, "RespondPeers.peer_list[0].timestamp: missing field"},
		{"bad payload", "2b00000000010a", []string{"decode", "--type", "Message", "--hex"}, "Message.data.RequestPeers: trailing bytes"},
		{"no type flag", "", []string{"decode"}, "type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, errOut, code := chianet(t, c.stdin, c.args...)
			if code == 0 {
				t.Fatalf("exit 0, printed %q", out)
			}
			if strings.Count(strings.TrimRight(errOut, "\n"), "\n") != 0 {
				t.Fatalf("error is not one line: %q", errOut)
			}
			if !strings.Contains(errOut, c.want) {
				t.Fatalf("error %q does not contain %q", errOut, c.want)
			}
		})
	}
}
