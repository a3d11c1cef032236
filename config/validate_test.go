package config

import (
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestValidate(t *testing.T) {
	cases := []struct {
		name   string
		change func(*Config)
		key    string
		reason string
	}{
		{"port too big", func(c *Config) { c.FullNode.Port = 70000 }, "full_node.port", "70000 is out of range 0–65535"},
		{"port negative", func(c *Config) { c.FullNode.Port = -1 }, "full_node.port", "-1 is out of range"},
		{"rpc port", func(c *Config) { c.FullNode.RPCPort = 65536 }, "full_node.rpc_port", "out of range"},
		{"daemon port zero", func(c *Config) { c.DaemonPort = 0 }, "daemon_port", "0 is out of range 1–65535"},
		{"introducer port", func(c *Config) { c.Introducer.Port = 100000 }, "introducer.port", "out of range"},
		{"introducer peer port", func(c *Config) { c.FullNode.IntroducerPeer.Port = 0 }, "full_node.introducer_peer.port", "out of range 1–65535"},
		{"crawler rpc port", func(c *Config) { c.Seeder.Crawler.RPCPort = -5 }, "seeder.crawler.rpc_port", "out of range"},
		{"seeder dns port", func(c *Config) { c.Seeder.DNSPort = 65536 }, "seeder.dns_port", "out of range"},
		{"other peers port", func(c *Config) { c.Seeder.OtherPeersPort = 0 }, "seeder.other_peers_port", "out of range"},
		{"outbound over target", func(c *Config) { c.FullNode.TargetOutboundPeerCount = 41 }, "full_node.target_outbound_peer_count", "41 is more than full_node.target_peer_count (40)"},
		{"negative target", func(c *Config) { c.FullNode.TargetPeerCount = -1; c.FullNode.TargetOutboundPeerCount = 0 }, "full_node.target_peer_count", "-1 is negative"},
		{"negative outbound", func(c *Config) { c.FullNode.TargetOutboundPeerCount = -2 }, "full_node.target_outbound_peer_count", "-2 is negative"},
		{"negative wallets", func(c *Config) { c.FullNode.MaxInboundWallet = -1 }, "full_node.max_inbound_wallet", "negative"},
		{"negative farmers", func(c *Config) { c.FullNode.MaxInboundFarmer = -1 }, "full_node.max_inbound_farmer", "negative"},
		{"negative timelords", func(c *Config) { c.FullNode.MaxInboundTimelord = -1 }, "full_node.max_inbound_timelord", "negative"},
		{"zero daemon message size", func(c *Config) { c.DaemonMaxMessageSize = 0 }, "daemon_max_message_size", "not a positive number"},
		{"zero daemon heartbeat", func(c *Config) { c.DaemonHeartbeat = 0 }, "daemon_heartbeat", "not a positive number"},
		{"zero inbound percent", func(c *Config) { c.InboundRateLimitPercent = 0 }, "inbound_rate_limit_percent", "not a positive number"},
		{"negative outbound percent", func(c *Config) { c.OutboundRateLimitPercent = -5 }, "outbound_rate_limit_percent", "not a positive number"},
		{"zero connect timeout", func(c *Config) { c.FullNode.PeerConnectTimeout = 0 }, "full_node.peer_connect_timeout", "not a positive number"},
		{"seeder connect timeout", func(c *Config) { c.Seeder.PeerConnectTimeout = -1 }, "seeder.peer_connect_timeout", "not a positive number"},
		{"max peers to send", func(c *Config) { c.Introducer.MaxPeersToSend = -1 }, "introducer.max_peers_to_send", "negative"},
		{"soa refresh", func(c *Config) { c.Seeder.SOA.Refresh = -1 }, "seeder.soa.refresh", "out of range 0–4294967295"},
		{"soa serial", func(c *Config) { c.Seeder.SOA.SerialNumber = 1 << 32 }, "seeder.soa.serial_number", "out of range"},
		{"minimum height", func(c *Config) { c.Seeder.MinimumHeight = -1 }, "seeder.minimum_height", "negative"},
		{"log level", func(c *Config) { c.Logging.LogLevel = "LOUD" }, "logging.log_level", `"LOUD" is not one of`},
		{"exempt network", func(c *Config) { c.FullNode.ExemptPeerNetworks = []string{"10.0.0.0/8", "nope"} }, "full_node.exempt_peer_networks[1]", `"nope" is not an address or CIDR block`},
		{"empty dns server", func(c *Config) { c.FullNode.DNSServers = []string{"a", " "} }, "full_node.dns_servers[1]", "is empty"},
		{"static peer", func(c *Config) { c.FullNode.FullNodePeers = []Peer{{Host: "h", Port: 0}} }, "full_node.full_node_peers[0].port", "out of range"},
		{"self hostname", func(c *Config) { c.SelfHostname = "" }, "self_hostname", "is empty"},
		{"selected network", func(c *Config) { c.SelectedNetwork = "nowhere" }, "selected_network", `unknown network "nowhere"`},
		{"full node network", func(c *Config) { c.FullNode.SelectedNetwork = "nowhere" }, "full_node.selected_network", "known networks are mainnet, testnet11"},
		{"seeder network", func(c *Config) { c.Seeder.SelectedNetwork = "a/b" }, "seeder.selected_network", "not a usable network name"},
		{"override port", func(c *Config) {
			c.NetworkOverrides.Config["devnet"] = NetworkConfig{DefaultFullNodePort: 70000}
		}, "network_overrides.config.devnet.default_full_node_port", "out of range 1–65535"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Default(t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			tc.change(c)
			errs := fieldErrors(c.Validate())
			if len(errs) != 1 {
				t.Fatalf("got %d errors %v, want one for %s", len(errs), errs, tc.key)
			}
			if errs[0].Key != tc.key || !strings.Contains(errs[0].Reason, tc.reason) {
				t.Errorf("got %q, want %s: …%s…", errs[0], tc.key, tc.reason)
			}
			if !strings.HasPrefix(errs[0].Error(), tc.key+": ") {
				t.Errorf("message %q does not start with the key", errs[0])
			}
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c, err := Default(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c.FullNode.Port = 70000
	c.Introducer.Port = -1
	c.Logging.LogLevel = "?"
	var keys []string
	for _, fe := range fieldErrors(c.Validate()) {
		keys = append(keys, fe.Key)
	}
	if want := []string{"logging.log_level", "full_node.port", "introducer.port"}; !slices.Equal(keys, want) {
		t.Errorf("keys %v, want %v", keys, want)
	}
}

func TestValidateAcceptsEdgeValues(t *testing.T) {
	c, err := Default(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	c.FullNode.Port = 0 // any free port
	c.FullNode.TargetPeerCount = 8
	c.FullNode.TargetOutboundPeerCount = 8
	c.FullNode.MaxInboundWallet = 0
	c.FullNode.DNSServers = []string{}
	c.FullNode.IntroducerPeer = &IntroducerPeer{} // no introducer: port not needed
	c.FullNode.ExemptPeerNetworks = []string{"192.168.0.3", "fe80::/10", "2606:4700:4700::64/128"}
	c.Logging.LogLevel = "debug"
	c.Seeder.SOA.SerialNumber = 0
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	nets, err := c.ExemptNetworks()
	want := []netip.Prefix{netip.MustParsePrefix("192.168.0.3/32"), netip.MustParsePrefix("fe80::/10"), netip.MustParsePrefix("2606:4700:4700::64/128")}
	if err != nil || !slices.Equal(nets, want) {
		t.Errorf("ExemptNetworks = %v, %v", nets, err)
	}
}

func TestSlogLevel(t *testing.T) {
	for name, want := range map[string]slog.Level{
		"CRITICAL": slog.LevelError + 4, "FATAL": slog.LevelError + 4, "ERROR": slog.LevelError,
		"WARNING": slog.LevelWarn, "warn": slog.LevelWarn, "INFO": slog.LevelInfo,
		"Debug": slog.LevelDebug, "NOTSET": slog.LevelDebug,
	} {
		got, err := Logging{LogLevel: name}.SlogLevel()
		if err != nil || got != want {
			t.Errorf("%s: %v, %v; want %v", name, got, err, want)
		}
	}
	if _, err := (Logging{LogLevel: ""}).SlogLevel(); err == nil {
		t.Error("empty level accepted")
	}
}

// TestTrusted reads full_node.trusted_peers and trusted_cidrs: valid
// entries are returned, invalid ones listed, and the reference
// template's placeholder node id is in neither list.
func TestTrusted(t *testing.T) {
	root := newRoot(t, []byte(`full_node:
  trusted_peers:
    0ThisisanexampleNodeID7ff9d60f1c3fa270c213c0ad0cb89c01274634a7c3cb7: Does_not_matter
    b000000000000000000000000000000000000000000000000000000000000001: x
    A000000000000000000000000000000000000000000000000000000000000002:
    0xa000000000000000000000000000000000000000000000000000000000000003: x
    abcd: x
  trusted_cidrs: ["10.0.0.0/8", "192.0.2.7", "fe80::/10", "nope", "10.0.0.0/33"]
`))
	c := mustLoad(t, root)
	ids, bad := c.TrustedNodeIDs()
	// The reference looks ids up in lower-case hex: the upper-case key
	// trusts nobody.
	want := [][32]byte{{0: 0xb0, 31: 1}}
	if !slices.Equal(ids, want) || !slices.Equal(bad, []string{"0xa000000000000000000000000000000000000000000000000000000000000003",
		"A000000000000000000000000000000000000000000000000000000000000002", "abcd"}) {
		t.Errorf("TrustedNodeIDs() = %x, %q", ids, bad)
	}
	nets, bad := c.TrustedNetworks()
	wantNets := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"), netip.MustParsePrefix("fe80::/10")}
	if !slices.Equal(nets, wantNets) || !slices.Equal(bad, []string{"nope", "10.0.0.0/33"}) {
		t.Errorf("TrustedNetworks() = %v, %q", nets, bad)
	}

	// The reference's own file: the placeholder alone, no trusted_cidrs.
	c = mustLoad(t, newRoot(t, readTestdata(t, "reference-initial.yaml")))
	if len(c.FullNode.TrustedPeers) != 1 {
		t.Errorf("reference file: trusted_peers %v", c.FullNode.TrustedPeers)
	}
	if ids, bad := c.TrustedNodeIDs(); ids != nil || bad != nil {
		t.Errorf("reference file: TrustedNodeIDs() = %x, %q", ids, bad)
	}
	if nets, bad := c.TrustedNetworks(); nets != nil || bad != nil {
		t.Errorf("reference file: TrustedNetworks() = %v, %q", nets, bad)
	}
}

// TestHostBitsEntries lists the exempt_peer_networks and trusted_cidrs
// entries with host bits set, which ExemptNetworks and TrustedNetworks
// return as their networks.
func TestHostBitsEntries(t *testing.T) {
	c := mustLoad(t, newRoot(t, []byte(`full_node:
  exempt_peer_networks: ["10.1.2.3/24", "10.0.0.0/8", "192.0.2.9", "::ffff:10.9.9.9/120"]
  trusted_cidrs: ["fe80::1/10", "nope", "2001:db8::/32", "10.0.0.1/33", "198.51.100.7/32"]
`)))
	want := []HostBitsEntry{
		{"full_node.exempt_peer_networks", "10.1.2.3/24", netip.MustParsePrefix("10.1.2.0/24")},
		{"full_node.exempt_peer_networks", "::ffff:10.9.9.9/120", netip.MustParsePrefix("::ffff:10.9.9.0/120")},
		{"full_node.trusted_cidrs", "fe80::1/10", netip.MustParsePrefix("fe80::/10")},
	}
	if got := c.HostBitsEntries(); !slices.Equal(got, want) {
		t.Errorf("HostBitsEntries() = %v, want %v", got, want)
	}
	exempt, err := c.ExemptNetworks()
	wantExempt := []netip.Prefix{netip.MustParsePrefix("10.1.2.0/24"), netip.MustParsePrefix("10.0.0.0/8"),
		netip.MustParsePrefix("192.0.2.9/32"), netip.MustParsePrefix("::ffff:10.9.9.0/120")}
	if err != nil || !slices.Equal(exempt, wantExempt) {
		t.Errorf("ExemptNetworks() = %v, %v", exempt, err)
	}
	trusted, _ := c.TrustedNetworks()
	wantTrusted := []netip.Prefix{netip.MustParsePrefix("fe80::/10"), netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("198.51.100.7/32")}
	if !slices.Equal(trusted, wantTrusted) {
		t.Errorf("TrustedNetworks() = %v", trusted)
	}
}
