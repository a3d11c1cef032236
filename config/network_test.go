package config

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
)

func TestNetworkUnknownListsKnown(t *testing.T) {
	c := mustLoad(t, newRoot(t, readTestdata(t, "reference-initial.yaml")))
	_, err := c.Network("devnet")
	var ue *UnknownNetworkError
	if !errors.As(err, &ue) {
		t.Fatalf("Network(devnet) = %v, want *UnknownNetworkError", err)
	}
	if !slices.Equal(ue.Builtin, []string{"mainnet", "testnet11"}) || !slices.Equal(ue.Declared, []string{"testnet0", "testneta"}) {
		t.Errorf("known networks: %v and %v", ue.Builtin, ue.Declared)
	}
	msg := err.Error()
	for _, s := range []string{`"devnet"`, "mainnet", "testnet11", "testnet0", "testneta", "network_overrides"} {
		if !strings.Contains(msg, s) {
			t.Errorf("message %q lacks %q", msg, s)
		}
	}

	// Without network_overrides only the built-in ones are known.
	d := mustLoad(t, newRoot(t, []byte("daemon_port: 55400\n")))
	_, err = d.Network("testnet10")
	if !errors.As(err, &ue) || len(ue.Declared) != 0 || strings.Contains(err.Error(), "(network_overrides)") {
		t.Errorf("Network(testnet10) = %v", err)
	}
	for _, bad := range []string{"../x", "a/b", "with space", "."} {
		if _, err := d.Network(bad); err == nil || errors.As(err, &ue) {
			t.Errorf("Network(%q) = %v, want a bad-name error", bad, err)
		}
	}
}

func TestNetworkResolution(t *testing.T) {
	c := mustLoad(t, newRoot(t, readTestdata(t, "reference-initial.yaml")))
	mainnet, _ := BuiltinNetwork(Mainnet)
	testnet11, _ := BuiltinNetwork(Testnet11)
	cases := []struct {
		name string
		want Network
	}{
		// The selected network: the full_node section's bootstrap.
		{"", mainnet},
		{"mainnet", mainnet},
		// Another built-in network: its own bootstrap, overridden port.
		{"testnet11", testnet11},
		// Declared in network_overrides only: private, no bootstrap.
		{"testneta", Network{Name: "testneta", DefaultPort: 58444, AddressPrefix: "txch",
			GenesisChallenge:       "b0a306abe27407130586c8e13d06dc057d4538c201dbd36c8f8c481f5e51af5c",
			AggSigMeAdditionalData: DefaultAggSigMeAdditionalData, AllowPrivate: true, Private: true}},
	}
	for _, tc := range cases {
		got, err := c.Network(tc.name)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Network(%q) = %+v, %v\nwant %+v", tc.name, got, err, tc.want)
		}
	}
	// Network returns copies.
	nw, _ := c.Network("")
	nw.DNSServers[0] = "changed"
	if c.FullNode.DNSServers[0] == "changed" {
		t.Error("Network shares DNSServers with the Config")
	}
	if again, _ := BuiltinNetwork(Mainnet); again.DNSServers[0] == "changed" {
		t.Error("Network shares the built-in list")
	}
}

func TestNetworkSelectedUsesFullNodeSection(t *testing.T) {
	file := `selected_network: devnet
network_overrides:
  config:
    devnet:
      address_prefix: "txch"
      default_full_node_port: 9444
    mainnet:
      default_full_node_port: 8555
full_node:
  dns_servers: []
  introducer_peer:
    host: 127.0.0.1
    port: 9445
    enable_private_networks: True
`
	c := mustLoad(t, newRoot(t, []byte(file)))
	got, err := c.Network("")
	want := Network{Name: "devnet", DefaultPort: 9444, AddressPrefix: "txch", DNSServers: []string{},
		Introducer: "127.0.0.1:9445", AggSigMeAdditionalData: DefaultAggSigMeAdditionalData, AllowPrivate: true, Private: true}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("selected devnet: %+v, %v\nwant %+v", got, err, want)
	}
	// mainnet is not selected: built-in bootstrap, port from the file.
	m, err := c.Network("mainnet")
	if err != nil || m.DefaultPort != 8555 || m.Introducer != "introducer.chia.net:8444" || len(m.DNSServers) != 6 || m.Private || m.AllowPrivate {
		t.Errorf("mainnet: %+v, %v", m, err)
	}

	// An empty introducer host means no introducer; IPv6 hosts are bracketed.
	c.SelectedNetwork = "mainnet"
	c.FullNode.IntroducerPeer = &IntroducerPeer{Host: "", Port: 8444}
	if m, _ := c.Network(""); m.Introducer != "" {
		t.Errorf("empty host: introducer %q", m.Introducer)
	}
	c.FullNode.IntroducerPeer = &IntroducerPeer{Host: "2001:db8::1", Port: 8444}
	if m, _ := c.Network(""); m.Introducer != "[2001:db8::1]:8444" {
		t.Errorf("IPv6 host: introducer %q", m.Introducer)
	}
}

func TestPrivateNetwork(t *testing.T) {
	c := mustLoad(t, newRoot(t, readTestdata(t, "reference-initial.yaml")))
	got, err := c.PrivateNetwork("devnet")
	want := Network{Name: "devnet", AggSigMeAdditionalData: DefaultAggSigMeAdditionalData, AllowPrivate: true, Private: true}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("PrivateNetwork(devnet) = %+v, %v", got, err)
	}
	// A declared name takes its port from network_overrides.
	if got, err := c.PrivateNetwork("testneta"); err != nil || got.DefaultPort != 58444 || !got.Private || got.Introducer != "" {
		t.Errorf("PrivateNetwork(testneta) = %+v, %v", got, err)
	}
	for _, name := range []string{"mainnet", "testnet11", "", "a/b"} {
		if _, err := c.PrivateNetwork(name); err == nil {
			t.Errorf("PrivateNetwork(%q) succeeded", name)
		}
	}
}

func TestSelectedNetworkName(t *testing.T) {
	var c Config
	if c.SelectedNetworkName() != Mainnet {
		t.Errorf("zero Config: %q", c.SelectedNetworkName())
	}
	c.SelectedNetwork = Testnet11
	if c.SelectedNetworkName() != Testnet11 {
		t.Errorf("top level: %q", c.SelectedNetworkName())
	}
	c.FullNode.SelectedNetwork = "devnet"
	if c.SelectedNetworkName() != "devnet" {
		t.Errorf("full_node: %q", c.SelectedNetworkName())
	}
}

// AGG_SIG_ME_ADDITIONAL_DATA, which the RPC's get_aggsig_additional_data
// answers, resolves as the reference's constants do: network_overrides'
// value (hex, 0x optional), else the built-in network's, else the
// reference's default, mainnet's genesis challenge.
func TestNetworkAggSigMeAdditionalData(t *testing.T) {
	file := `network_overrides:
  constants:
    devnet:
      AGG_SIG_ME_ADDITIONAL_DATA: "0xABCDEF0000000000000000000000000000000000000000000000000000000001"
    other:
      GENESIS_CHALLENGE: 1111111111111111111111111111111111111111111111111111111111111111
`
	c := mustLoad(t, newRoot(t, []byte(file)))
	for _, tc := range []struct{ name, want string }{
		{"mainnet", "ccd5bb71183532bff220ba46c268991a3ff07eb358e8255a65c30a2dce0e5fbb"},
		{"testnet11", "37a90eb5185a9c4439a91ddc98bbadce7b4feba060d50116a067de66bf236615"},
		{"devnet", "abcdef0000000000000000000000000000000000000000000000000000000001"},
		{"other", DefaultAggSigMeAdditionalData},
	} {
		nw, err := c.Network(tc.name)
		if err != nil || nw.AggSigMeAdditionalData != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.name, nw.AggSigMeAdditionalData, err, tc.want)
		}
	}
	if nw, err := c.PrivateNetwork("unnamed"); err != nil || nw.AggSigMeAdditionalData != DefaultAggSigMeAdditionalData {
		t.Errorf("private network: %q, %v", nw.AggSigMeAdditionalData, err)
	}

	bad := "network_overrides:\n  constants:\n    devnet:\n      AGG_SIG_ME_ADDITIONAL_DATA: abcd\n"
	_, err := Load(newRoot(t, []byte(bad)))
	if err == nil || !strings.Contains(err.Error(), "network_overrides.constants.devnet.AGG_SIG_ME_ADDITIONAL_DATA") {
		t.Errorf("Load of a short AGG_SIG_ME_ADDITIONAL_DATA: %v", err)
	}
}
