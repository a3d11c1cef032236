package config

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the config.yaml reader: it must not
// panic or hang, and a file it reads must render unchanged to the same
// bytes, and with changed fields to a file that reads back with them.
func FuzzParse(f *testing.F) {
	f.Add(defaultConfigYAML)
	f.Add([]byte("selected_network: testnet11\nfull_node:\n  port: 58444\n"))
	f.Add([]byte("a: &a {port: 1}\nfull_node:\n  <<: *a\n  rpc_port: 2\n"))
	f.Add([]byte("a: &a [1, 2]\nfull_node: {full_node_peers: *a}\n"))
	f.Add([]byte("network_overrides:\n  constants:\n    x: &x {GENESIS_CHALLENGE: ab}\n    y: *x\n  config:\n    x: {address_prefix: xch}\n"))
	f.Add([]byte("full_node: {port: 99999999999999999999999}\n"))
	f.Add([]byte("full_node: [1]\n"))
	f.Add([]byte("- 1\n"))
	f.Add([]byte("&a a: *a\n"))
	f.Add([]byte("a: !!binary aGk=\nb: !!timestamp 2001-01-01\nc: !!float .nan\n"))
	f.Add([]byte("full_node: &f {port: 1}\nintroducer: *f\nseeder: {<<: [*f, *f]}\n"))
	f.Add([]byte(mergeBomb(6)))
	f.Add([]byte("---\na: 1\n---\nb: 2\n"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, raw []byte) {
		c, err := parse("/chia", raw)
		if err != nil {
			return
		}
		_ = c.Validate()
		_ = c.Has("full_node.port")
		out, err := c.render()
		if err != nil {
			t.Fatalf("unchanged config does not render: %v", err)
		}
		if string(out) != string(raw) {
			t.Fatalf("unchanged config rendered differently:\n%s", out)
		}
		want := *c
		want.FullNode.Port = 4242
		want.SelectedNetwork = "testnet11"
		want.FullNode.DNSServers = []string{"dns.example"}
		edited := want
		out, err = edited.render()
		if err != nil {
			return // a tree the writer cannot change safely: refused
		}
		back, err := parse("/chia", out)
		if err != nil {
			t.Fatalf("edited config does not parse: %v\n%s", err, out)
		}
		// Only the fields set are compared: a section shared through an
		// alias changes wherever it is seen (see Save).
		if back.FullNode.Port != 4242 || back.SelectedNetwork != "testnet11" ||
			!reflect.DeepEqual(back.FullNode.DNSServers, want.FullNode.DNSServers) {
			t.Fatalf("edited config reads back without the edits:\n%s", out)
		}
	})
}

// mergeBomb returns a file whose merge keys each name the mapping before
// twice, n deep: a reader that follows every merge path does 2^n work.
func mergeBomb(n int) string {
	var b strings.Builder
	b.WriteString("m0: &m0 {port: 1}\n")
	for i := 1; i <= n; i++ {
		b.WriteString("m" + strconv.Itoa(i) + ": &m" + strconv.Itoa(i) + " {<<: [*m" + strconv.Itoa(i-1) + ", *m" + strconv.Itoa(i-1) + "]}\n")
	}
	b.WriteString("full_node: {<<: *m" + strconv.Itoa(n) + "}\n")
	return b.String()
}

// TestParseMergeBomb: merge keys naming the same mapping twice at each of
// 60 levels, and a mapping of 50 000 keys, read in time linear in the
// file (they took time exponential in the depth and quadratic in the
// keys).
func TestParseMergeBomb(t *testing.T) {
	c, err := parse("/chia", []byte(mergeBomb(60)))
	if err != nil {
		t.Fatal(err)
	}
	if c.FullNode.Port != 1 || c.FullNode.RPCPort != 8555 {
		t.Fatalf("port %d rpc_port %d, want 1 (merged) and 8555 (default)", c.FullNode.Port, c.FullNode.RPCPort)
	}
	var b strings.Builder
	b.WriteString("network_overrides:\n  constants:\n")
	for i := range 50000 {
		b.WriteString("    n" + strconv.Itoa(i) + ": {}\n")
	}
	c, err = parse("/chia", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(c.NetworkOverrides.Constants); n != 50000 {
		t.Fatalf("%d networks, want 50000", n)
	}
}

// TestParseMergePrecedence pins what a key's value is when own keys,
// duplicates and nested merges all offer one, as PyYAML resolves them.
func TestParseMergePrecedence(t *testing.T) {
	raw := `a: &a {port: 1, rpc_port: 11}
b: &b {<<: *a, port: 2}
c: &c {port: 3, target_peer_count: 33, rpc_port: 13}
full_node:
  <<: [*b, *c, *a]
  target_peer_count: 40
  target_peer_count: 41
network_overrides:
  constants:
    <<: {x: {GENESIS_CHALLENGE: "aa"}, y: {GENESIS_CHALLENGE: "bb"}}
    x: {GENESIS_CHALLENGE: "cc"}
`
	c, err := parse("/chia", []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if fn := c.FullNode; fn.Port != 2 || fn.RPCPort != 11 || fn.TargetPeerCount != 41 {
		t.Fatalf("port %d rpc_port %d target_peer_count %d, want 2, 11, 41", fn.Port, fn.RPCPort, fn.TargetPeerCount)
	}
	if k := c.NetworkOverrides.Constants; len(k) != 2 || k["x"].GenesisChallenge != "cc" || k["y"].GenesisChallenge != "bb" {
		t.Fatalf("networks %v", c.NetworkOverrides.Constants)
	}
}
