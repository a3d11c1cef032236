package config

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var mainnetDNS = []string{
	"dns-introducer.chia.net",
	"chia.ctrlaltdel.ch",
	"seeder.dexie.space",
	"chia.hoffmang.com",
	"seeder.xchpool.org",
	"seeder.xchseeder.com",
}

// TestLoadReferenceShaped loads a config laid out as the reference's
// `chia init` writes it and the same config as the reference's
// save_config writes it back (PyYAML: sorted keys, anonymous anchors),
// and checks that both give the same typed view.
func TestLoadReferenceShaped(t *testing.T) {
	var views []Config
	for _, name := range []string{"reference-initial.yaml", "reference-dumped.yaml"} {
		t.Run(name, func(t *testing.T) {
			root := newRoot(t, readTestdata(t, name))
			c := mustLoad(t, root)
			checks := []struct {
				key       string
				got, want any
			}{
				{"selected_network", c.SelectedNetwork, "mainnet"},
				{"self_hostname", c.SelfHostname, "localhost"},
				{"daemon_port", c.DaemonPort, 55400},
				{"inbound_rate_limit_percent", c.InboundRateLimitPercent, 100},
				{"daemon_max_message_size", c.DaemonMaxMessageSize, int64(50_000_000)},
				{"daemon_heartbeat", c.DaemonHeartbeat, 300},
				{"daemon_allow_tls_1_2", c.DaemonAllowTLS12, false},
				{"outbound_rate_limit_percent", c.OutboundRateLimitPercent, 30},
				{"private_ssl_ca.crt", c.PrivateSSLCA.Crt, "config/ssl/ca/private_ca.crt"},
				{"chia_ssl_ca.key", c.ChiaSSLCA.Key, "config/ssl/ca/chia_ca.key"},
				{"daemon_ssl.private_key", c.DaemonSSL.PrivateKey, "config/ssl/daemon/private_daemon.key"},
				{"logging.log_level", c.Logging.LogLevel, "WARNING"},
				{"logging.log_maxbytesrotation", c.Logging.LogMaxBytesRotation, int64(52428800)},
				{"full_node.port", c.FullNode.Port, 8444},
				{"full_node.selected_network", c.FullNode.SelectedNetwork, "mainnet"},
				{"full_node.target_peer_count", c.FullNode.TargetPeerCount, 40},
				{"full_node.target_outbound_peer_count", c.FullNode.TargetOutboundPeerCount, 8},
				{"full_node.max_inbound_wallet", c.FullNode.MaxInboundWallet, 20},
				{"full_node.max_inbound_farmer", c.FullNode.MaxInboundFarmer, 10},
				{"full_node.max_inbound_timelord", c.FullNode.MaxInboundTimelord, 5},
				{"full_node.peer_connect_timeout", c.FullNode.PeerConnectTimeout, 30},
				{"full_node.rpc_port", c.FullNode.RPCPort, 8555},
				{"full_node.dns_servers", c.FullNode.DNSServers, mainnetDNS},
				{"full_node.exempt_peer_networks", c.FullNode.ExemptPeerNetworks, []string{}},
				{"full_node.introducer_peer", *c.FullNode.IntroducerPeer, IntroducerPeer{Host: "introducer.chia.net", Port: 8444}},
				{"full_node.ssl.public_crt", c.FullNode.SSL.PublicCrt, "config/ssl/full_node/public_full_node.crt"},
				{"full_node.peers_file_path", c.FullNode.PeersFilePath, "db/peers.dat"},
				{"introducer.host", c.Introducer.Host, "localhost"},
				{"introducer.port", c.Introducer.Port, 8445},
				{"introducer.max_peers_to_send", c.Introducer.MaxPeersToSend, 20},
				{"introducer.dns_servers", c.Introducer.DNSServers, mainnetDNS},
				{"introducer.ssl.public_key", c.Introducer.SSL.PublicKey, "config/ssl/full_node/public_full_node.key"},
				{"seeder.other_peers_port", c.Seeder.OtherPeersPort, 8444},
				{"seeder.dns_port", c.Seeder.DNSPort, 53},
				{"seeder.peer_connect_timeout", c.Seeder.PeerConnectTimeout, 2},
				{"seeder.bootstrap_peers", c.Seeder.BootstrapPeers, []string{"node.chia.net"}},
				{"seeder.minimum_height", c.Seeder.MinimumHeight, int64(240000)},
				{"seeder.soa.expire", c.Seeder.SOA.Expire, int64(604800)},
				{"seeder.crawler.rpc_port", c.Seeder.Crawler.RPCPort, 8561},
				{"seeder.crawler.prune_peer_days", c.Seeder.Crawler.PrunePeerDays, 90},
				{"seeder.crawler.ssl.private_crt", c.Seeder.Crawler.SSL.PrivateCrt, "config/ssl/crawler/private_crawler.crt"},
				{"network_overrides.config.testneta", c.NetworkOverrides.Config["testneta"], NetworkConfig{AddressPrefix: "txch", DefaultFullNodePort: 58444}},
				{"network_overrides.constants.testnet0", c.NetworkOverrides.Constants["testnet0"].GenesisChallenge, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
			}
			for _, ck := range checks {
				if !reflect.DeepEqual(ck.got, ck.want) {
					t.Errorf("%s = %#v, want %#v", ck.key, ck.got, ck.want)
				}
			}
			if got, want := c.DeclaredNetworks(), []string{"mainnet", "testnet0", "testnet11", "testneta"}; !slices.Equal(got, want) {
				t.Errorf("DeclaredNetworks = %v, want %v", got, want)
			}
			if got, want := c.Path(c.FullNode.SSL.PrivateKey), filepath.Join(root, "config/ssl/full_node/private_full_node.key"); got != want {
				t.Errorf("Path = %s, want %s", got, want)
			}
			if got := c.Path("/etc/x.crt"); got != "/etc/x.crt" {
				t.Errorf("Path of an absolute path = %s", got)
			}
			v := *c
			v.Root, v.file = "", nil
			views = append(views, v)
		})
	}
	if len(views) == 2 && !reflect.DeepEqual(views[0], views[1]) {
		t.Errorf("the two shapes load differently:\n%+v\n%+v", views[0], views[1])
	}
}

// TestSaveUnchangedIsByteIdentical saves configs without changing them.
func TestSaveUnchangedIsByteIdentical(t *testing.T) {
	for _, name := range []string{"reference-initial.yaml", "reference-dumped.yaml", "default_config.yaml"} {
		t.Run(name, func(t *testing.T) {
			var orig []byte
			if name == "default_config.yaml" {
				orig = defaultConfigYAML
			} else {
				orig = readTestdata(t, name)
			}
			root := newRoot(t, orig)
			c := mustLoad(t, root)
			if err := c.Save(); err != nil {
				t.Fatal(err)
			}
			if got := readConfig(t, root); !bytes.Equal(got, orig) {
				t.Fatalf("saving an unchanged config changed it:\n%s", got)
			}
		})
	}
}

// TestSaveChangesOnlyChangedValues changes values that are in the file and
// checks that everything else is kept byte for byte.
func TestSaveChangesOnlyChangedValues(t *testing.T) {
	orig := string(readTestdata(t, "reference-initial.yaml"))
	root := newRoot(t, []byte(orig))
	c := mustLoad(t, root)
	c.FullNode.Port = 8446
	c.FullNode.TargetOutboundPeerCount = 10
	c.FullNode.IntroducerPeer.EnablePrivateNetworks = true
	c.FullNode.IntroducerPeer.Host = "introducer.example.org"
	c.FullNode.SelectedNetwork = "testnet11" // an alias: replaced by the value
	c.Logging.LogLevel = "INFO"              // inside the shared logging section
	c.Seeder.Crawler.RPCPort = 18561
	c.Seeder.DomainName = "seeder.example.net."
	c.NetworkOverrides.Config["testneta"] = NetworkConfig{AddressPrefix: "txch", DefaultFullNodePort: 58445}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}

	want := orig
	want = replaceAfter(t, want, "\nfull_node:\n", "  port: 8444\n", "  port: 8446\n")
	want = replaceAfter(t, want, "\nfull_node:\n", "target_outbound_peer_count: 8\n", "target_outbound_peer_count: 10\n")
	want = replaceAfter(t, want, "\nfull_node:\n", "    enable_private_networks: False\n", "    enable_private_networks: True\n")
	want = replaceAfter(t, want, "\nfull_node:\n", "    host: introducer.chia.net # the public", "    host: introducer.example.org # the public")
	want = replaceAfter(t, want, "\nfull_node:\n", "  selected_network: *selected_network\n", "  selected_network: \"testnet11\"\n")
	want = replaceAfter(t, want, "\nlogging: &logging\n", `log_level: "WARNING"`, `log_level: "INFO"`)
	want = replaceAfter(t, want, "\nseeder:\n", "    rpc_port: 8561\n", "    rpc_port: 18561\n")
	want = replaceAfter(t, want, "\nseeder:\n", `domain_name: "seeder.example.com."`, `domain_name: "seeder.example.net."`)
	want = replaceAfter(t, want, "    testneta:\n      address_prefix", "default_full_node_port: 58444", "default_full_node_port: 58445")
	got := string(readConfig(t, root))
	if got != want {
		gl, wl := strings.Split(got, "\n"), strings.Split(want, "\n")
		for i := range min(len(gl), len(wl)) {
			if gl[i] != wl[i] {
				t.Errorf("line %d: got %q, want %q", i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("saved file differs (%d lines, want %d)", len(gl), len(wl))
	}

	// The typed view after Save, and after a new Load, is the file's.
	for _, v := range []*Config{c, mustLoad(t, root)} {
		if v.FullNode.Port != 8446 || v.FullNode.SelectedNetwork != "testnet11" || v.SelectedNetwork != "mainnet" ||
			v.Logging.LogLevel != "INFO" || !v.FullNode.IntroducerPeer.EnablePrivateNetworks {
			t.Errorf("typed view after save: %+v", v.FullNode)
		}
	}
	g := generic(t, []byte(got))
	// The logging section is shared: every alias of it sees the change.
	if lvl := at(t, g, "wallet.logging.log_level"); lvl != "INFO" {
		t.Errorf("wallet.logging.log_level = %v, want INFO through the alias", lvl)
	}
	// Other aliases of selected_network keep theirs.
	if n := at(t, g, "wallet.selected_network"); n != "mainnet" {
		t.Errorf("wallet.selected_network = %v", n)
	}
}

// TestSaveAssignmentDetachesAliases changes values that other keys alias:
// those keep the old value, as after the same assignment in the
// reference's Python.
func TestSaveAssignmentDetachesAliases(t *testing.T) {
	for _, name := range []string{"reference-initial.yaml", "reference-dumped.yaml"} {
		t.Run(name, func(t *testing.T) {
			orig := readTestdata(t, name)
			root := newRoot(t, orig)
			c := mustLoad(t, root)
			c.SelectedNetwork = "testnet11"
			c.FullNode.DNSServers = []string{"dns.example.org"}
			if err := c.Save(); err != nil {
				t.Fatal(err)
			}
			got := readConfig(t, root)
			g, o := generic(t, got), generic(t, orig)
			if v := at(t, g, "selected_network"); v != "testnet11" {
				t.Errorf("selected_network = %v", v)
			}
			if v := at(t, g, "full_node.dns_servers"); !reflect.DeepEqual(v, []any{"dns.example.org"}) {
				t.Errorf("full_node.dns_servers = %v", v)
			}
			// Put the two assigned values back: the rest must be as it was.
			g["selected_network"] = "mainnet"
			at(t, g, "full_node").(map[string]any)["dns_servers"] = at(t, o, "full_node.dns_servers")
			if !reflect.DeepEqual(g, o) {
				t.Errorf("other values changed:\n%s", got)
			}
			c2 := mustLoad(t, root)
			if c2.FullNode.SelectedNetwork != "mainnet" || !slices.Equal(c2.Introducer.DNSServers, mainnetDNS) {
				t.Errorf("aliases of the old values: full_node.selected_network %q, introducer.dns_servers %v",
					c2.FullNode.SelectedNetwork, c2.Introducer.DNSServers)
			}
		})
	}
}

// TestSaveAddsKeysAndKeepsUnknown writes keys the file does not have: the
// file is written from its tree, and every key it had is still there.
func TestSaveAddsKeysAndKeepsUnknown(t *testing.T) {
	orig := []byte(`# a hand-written config
selected_network: mainnet
custom_tool:
  nested: {a: 1, b: [x, y]}
  when: 2024-01-02
wallet: &w
  target_peer_count: 3
other_wallet: *w
full_node:
  port: 8444
  trusted_peers:
    abc: def
`)
	root := newRoot(t, orig)
	c := mustLoad(t, root)
	c.FullNode.RPCPort = 18555                    // absent: added to full_node
	c.FullNode.DNSServers = []string{"a.example"} // absent: added
	c.Introducer.Port = 18445                     // a section the file lacks
	c.FullNode.ExemptPeerNetworks = []string{"10.0.0.0/8"}
	c.FullNode.FullNodePeers = []Peer{{Host: "10.0.0.2", Port: 8444}}
	if c.NetworkOverrides.Config == nil {
		c.NetworkOverrides.Config = map[string]NetworkConfig{}
	}
	c.NetworkOverrides.Config["devnet"] = NetworkConfig{DefaultFullNodePort: 9444}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	got := readConfig(t, root)
	g, o := generic(t, got), generic(t, orig)
	for _, ck := range []struct {
		path string
		want any
	}{
		{"full_node.rpc_port", 18555},
		{"full_node.dns_servers", []any{"a.example"}},
		{"full_node.exempt_peer_networks", []any{"10.0.0.0/8"}},
		{"full_node.full_node_peers", []any{map[string]any{"host": "10.0.0.2", "port": 8444}}},
		{"introducer.port", 18445},
		{"network_overrides.config.devnet.default_full_node_port", 9444},
	} {
		if v := at(t, g, ck.path); !reflect.DeepEqual(v, ck.want) {
			t.Errorf("%s = %#v, want %#v", ck.path, v, ck.want)
		}
	}
	// Take the added keys out: what is left is the original file.
	fn := g["full_node"].(map[string]any)
	for _, k := range []string{"rpc_port", "dns_servers", "exempt_peer_networks", "full_node_peers"} {
		delete(fn, k)
	}
	delete(g, "introducer")
	delete(g, "network_overrides")
	if !reflect.DeepEqual(g, o) {
		t.Errorf("keys lost or changed:\ngot  %v\nwant %v\nfile:\n%s", g, o, got)
	}
	for _, s := range []string{"# a hand-written config", "wallet: &w", "other_wallet: *w", "when: 2024-01-02"} {
		if !bytes.Contains(got, []byte(s)) {
			t.Errorf("file lost %q:\n%s", s, got)
		}
	}
	c2 := mustLoad(t, root)
	nw, err := c2.Network("devnet")
	if err != nil || nw.DefaultPort != 9444 || !nw.Private {
		t.Errorf("devnet after save: %+v, %v", nw, err)
	}
}

// TestSaveRemovesKeys sets fields whose absence means a default to nil.
func TestSaveRemovesKeys(t *testing.T) {
	root := newRoot(t, readTestdata(t, "reference-initial.yaml"))
	c := mustLoad(t, root)
	c.FullNode.DNSServers = nil
	c.FullNode.IntroducerPeer = nil
	delete(c.NetworkOverrides.Config, "testnet0")
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	g := generic(t, readConfig(t, root))
	fn := g["full_node"].(map[string]any)
	for _, k := range []string{"dns_servers", "introducer_peer"} {
		if _, ok := fn[k]; ok {
			t.Errorf("full_node.%s still there", k)
		}
	}
	if _, ok := at(t, g, "network_overrides.config").(map[string]any)["testnet0"]; ok {
		t.Error("network_overrides.config.testnet0 still there")
	}
	// The aliases of the removed dns_servers keep the list.
	if v := at(t, g, "introducer.dns_servers"); len(v.([]any)) != 6 {
		t.Errorf("introducer.dns_servers = %v", v)
	}
	c2 := mustLoad(t, root)
	if c2.FullNode.DNSServers != nil || c2.FullNode.IntroducerPeer != nil {
		t.Errorf("after reload: %v %v", c2.FullNode.DNSServers, c2.FullNode.IntroducerPeer)
	}
}

// TestSaveStringValues writes strings that need quoting or cannot be
// patched in place, and reads them back.
func TestSaveStringValues(t *testing.T) {
	values := []string{
		"plain", "", "a: b", "#hash", "x #y", "'single'", `"double"`, `back\slash`,
		"yes", "True", "123", "0x1F", "~", "null", "- dash", "ünïcödé", "two\nlines", " lead", "trail ",
	}
	for _, v := range values {
		root := newRoot(t, readTestdata(t, "reference-initial.yaml"))
		c := mustLoad(t, root)
		c.Logging.LogSyslogHost = v  // "localhost", double-quoted in the file
		c.FullNode.PeersFilePath = v // db/peers.dat, plain
		if err := c.Save(); err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		c2 := mustLoad(t, root)
		if c2.Logging.LogSyslogHost != v || c2.FullNode.PeersFilePath != v {
			t.Errorf("%q read back as %q and %q", v, c2.Logging.LogSyslogHost, c2.FullNode.PeersFilePath)
		}
		if g := generic(t, readConfig(t, root)); at(t, g, "wallet.xch_spam_amount") != 1000000 {
			t.Errorf("%q: unknown key lost", v)
		}
	}
}

// TestSaveOddLayouts changes values the byte patch cannot or must not
// touch in place: a flow mapping, a block scalar, a value on its own line.
func TestSaveOddLayouts(t *testing.T) {
	cases := []struct {
		name, file string
		change     func(*Config)
		check      func(*Config) bool
	}{
		{"flow mapping", "full_node: {port: 8444, rpc_port: 8555, x: [1, 2]}\n",
			func(c *Config) { c.FullNode.Port = 8446 },
			func(c *Config) bool { return c.FullNode.Port == 8446 && c.FullNode.RPCPort == 8555 }},
		{"flow sequence", "seeder: {bootstrap_peers: [a.example, b.example]}\n",
			func(c *Config) { c.Seeder.BootstrapPeers = []string{"c.example"} },
			func(c *Config) bool { return slices.Equal(c.Seeder.BootstrapPeers, []string{"c.example"}) }},
		{"block scalar", "self_hostname: |-\n  localhost\n",
			func(c *Config) { c.SelfHostname = "127.0.0.1" },
			func(c *Config) bool { return c.SelfHostname == "127.0.0.1" }},
		{"multi-line plain", "logging:\n  log_filename: log/\n    debug.log\n",
			func(c *Config) { c.Logging.LogFilename = "x.log" },
			func(c *Config) bool { return c.Logging.LogFilename == "x.log" }},
		{"tagged", "daemon_port: !!int 55400\n",
			func(c *Config) { c.DaemonPort = 55401 },
			func(c *Config) bool { return c.DaemonPort == 55401 }},
		{"merge key", "base: &b {port: 8444, rpc_port: 8555}\nfull_node:\n  <<: *b\n  max_inbound_wallet: 5\n",
			func(c *Config) { c.FullNode.Port = 8446 },
			func(c *Config) bool {
				return c.FullNode.Port == 8446 && c.FullNode.RPCPort == 8555 && c.FullNode.MaxInboundWallet == 5
			}},
		{"crlf", "full_node:\r\n  port: 8444\r\n  rpc_port: 8555\r\n",
			func(c *Config) { c.FullNode.Port = 8446 },
			func(c *Config) bool { return c.FullNode.Port == 8446 && c.FullNode.RPCPort == 8555 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			root := newRoot(t, []byte(tc.file))
			c := mustLoad(t, root)
			tc.change(c)
			if err := c.Save(); err != nil {
				t.Fatal(err)
			}
			if c2 := mustLoad(t, root); !tc.check(c2) {
				t.Errorf("after save:\n%s", readConfig(t, root))
			}
		})
	}
}

func TestMinimalConfigTakesDefaults(t *testing.T) {
	orig := []byte("selected_network: testnet11\n")
	root := newRoot(t, orig)
	c := mustLoad(t, root)
	if c.FullNode.Port != 8444 || c.FullNode.TargetPeerCount != 40 || c.Introducer.Port != 8445 ||
		c.Seeder.Crawler.RPCPort != 8561 || c.DaemonPort != 55400 || c.Logging.LogLevel != "WARNING" {
		t.Errorf("defaults not applied: %+v", c)
	}
	if c.SelectedNetworkName() != "testnet11" {
		t.Errorf("SelectedNetworkName = %q", c.SelectedNetworkName())
	}
	nw, err := c.Network("")
	want, _ := BuiltinNetwork(Testnet11)
	if err != nil || !reflect.DeepEqual(nw, want) {
		t.Errorf("Network(\"\") = %+v, %v; want %+v", nw, err, want)
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	if got := readConfig(t, root); !bytes.Equal(got, orig) {
		t.Errorf("defaults were written into the file:\n%s", got)
	}
}

// Has tells the keys a file has from those that hold the template's
// defaults, through merge keys and aliases.
func TestHas(t *testing.T) {
	root := newRoot(t, []byte(`selected_network: testnet11
base: &base
  other_peers_port: 58444
seeder:
  <<: *base
  minimum_height: 0
  crawler_db_path: null
  crawler:
    rpc_port: 8561
`))
	c := mustLoad(t, root)
	for key, want := range map[string]bool{
		"selected_network":           true,
		"seeder":                     true,
		"seeder.other_peers_port":    true, // merged
		"seeder.minimum_height":      true, // 0 is a value
		"seeder.crawler_db_path":     false,
		"seeder.bootstrap_peers":     false,
		"seeder.crawler.rpc_port":    true,
		"seeder.crawler.ssl":         false,
		"seeder.minimum_height.x":    false,
		"full_node":                  false,
		"full_node.selected_network": false,
	} {
		if got := c.Has(key); got != want {
			t.Errorf("Has(%q) = %v, want %v", key, got, want)
		}
	}
	if c.Seeder.BootstrapPeers == nil {
		t.Error("a key the file lacks holds no default")
	}
	if (&Config{}).Has("seeder") {
		t.Error("a Config not read from a file has keys")
	}
}

func TestLoadErrors(t *testing.T) {
	if _, err := Load(t.TempDir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("missing file: %v, want fs.ErrNotExist", err)
	}
	cases := []struct{ file, want string }{
		{"", "not a YAML mapping"},
		{"- a\n- b\n", "not a YAML mapping"},
		{"full_node: [1\n", "yaml"},
		{"full_node:\n  port: abc\n", "full_node.port"},
		{"full_node:\n  dns_servers: {a: b}\n", "full_node.dns_servers"},
		{"full_node: 5\n", "full_node: is not a mapping"},
		{"network_overrides:\n  config:\n    devnet: 3\n", "network_overrides.config.devnet"},
		{"selected_network: devnet\n", "selected_network: unknown network \"devnet\""},
		{"full_node:\n  port: 70000\n", "full_node.port: 70000 is out of range 0–65535"},
	}
	for _, tc := range cases {
		_, err := Load(newRoot(t, []byte(tc.file)))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: error %v, want one containing %q", tc.file, err, tc.want)
		}
	}
}

func TestDefault(t *testing.T) {
	root := t.TempDir()
	c, err := Default(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.Root != root {
		t.Errorf("Root = %q", c.Root)
	}
	// The template states the built-in networks as chianet knows them.
	for _, name := range KnownNetworks() {
		nw, err := c.Network(name)
		want, _ := BuiltinNetwork(name)
		if err != nil || !reflect.DeepEqual(nw, want) {
			t.Errorf("%s: %+v, %v; want %+v", name, nw, err, want)
		}
	}
	// An absent key takes the template's value, except for the keys
	// whose absence means another key's value or the network's.
	base, err := baseDefaults()
	if err != nil {
		t.Fatal(err)
	}
	want := *c
	want.Root, want.file = "", nil
	want.NetworkOverrides = NetworkOverrides{}
	want.FullNode.SelectedNetwork, want.FullNode.DNSServers, want.FullNode.IntroducerPeer = "", nil, nil
	want.Introducer.Host, want.Introducer.SelectedNetwork, want.Introducer.DNSServers = "", "", nil
	want.Seeder.SelectedNetwork = ""
	if !reflect.DeepEqual(*base, want) {
		t.Errorf("baseDefaults:\n%+v\nwant\n%+v", *base, want)
	}
	if _, err := os.Stat(FilePath(root)); !errors.Is(err, fs.ErrNotExist) {
		t.Error("Default wrote a file")
	}
}

func TestCreateAndPermissions(t *testing.T) {
	root := filepath.Join(t.TempDir(), "new", "root")
	c, err := Default(root)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Create(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(FilePath(root))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o644 {
		t.Errorf("new config.yaml mode %v, want 0644", fi.Mode().Perm())
	}
	if got := readConfig(t, root); !bytes.Equal(got, defaultConfigYAML) {
		t.Error("Create did not write the template")
	}
	d2, _ := Default(root)
	d2.FullNode.Port = 1
	if err := d2.Create(); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second Create: %v, want fs.ErrExist", err)
	}
	if got := readConfig(t, root); !bytes.Equal(got, defaultConfigYAML) {
		t.Error("a failed Create changed the file")
	}

	// Save keeps the mode of an existing file and leaves no temporary file.
	if err := os.Chmod(FilePath(root), 0o600); err != nil {
		t.Fatal(err)
	}
	c = mustLoad(t, root)
	c.FullNode.Port = 8446
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Stat(FilePath(root)); fi.Mode().Perm() != 0o600 {
		t.Errorf("Save changed the mode to %v", fi.Mode().Perm())
	}
	ents, _ := os.ReadDir(filepath.Join(root, "config"))
	if len(ents) != 1 {
		t.Errorf("config dir holds %v", ents)
	}

	// An invalid Config is not written.
	c.FullNode.Port = -1
	if err := c.Save(); err == nil {
		t.Error("Save wrote an invalid config")
	}
	if mustLoad(t, root).FullNode.Port != 8446 {
		t.Error("an invalid Save changed the file")
	}
	var zero Config
	if err := zero.Save(); err == nil {
		t.Error("Save of a Config not from Load or Default succeeded")
	}
}

func TestResolveRoot(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv(RootEnv, "")
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ flag, env, want string }{
		{"", "", filepath.Join(home, ".chia", "mainnet")},
		{"", "/srv/chia", "/srv/chia"},
		{"/flag/root", "/srv/chia", "/flag/root"},
		{"rel/root", "/srv/chia", filepath.Join(wd, "rel/root")},
		{"", "~/other", filepath.Join(home, "other")},
		{"~", "", home},
		{"~user/x", "", filepath.Join(wd, "~user/x")},
	}
	for _, tc := range cases {
		t.Setenv(RootEnv, tc.env)
		got, err := ResolveRoot(tc.flag)
		if err != nil || got != tc.want {
			t.Errorf("flag %q env %q: %q, %v; want %q", tc.flag, tc.env, got, err, tc.want)
		}
	}
}

// TestLoadTooLarge: a config.yaml over MaxFileSize is refused unread.
func TestLoadTooLarge(t *testing.T) {
	big := make([]byte, MaxFileSize+1)
	copy(big, "a: ")
	for i := 3; i < len(big); i++ {
		big[i] = 'x'
	}
	_, err := Load(newRoot(t, big))
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err %v, want ErrTooLarge", err)
	}
}

// The rate-limit percentages are top-level keys, as in the reference; an
// absent one keeps the reference's default.
func TestRateLimitPercent(t *testing.T) {
	c := mustLoad(t, newRoot(t, []byte("outbound_rate_limit_percent: 10\ndaemon_max_message_size: 1000\n")))
	if c.InboundRateLimitPercent != 100 || c.OutboundRateLimitPercent != 10 {
		t.Errorf("inbound %d, outbound %d; want 100, 10", c.InboundRateLimitPercent, c.OutboundRateLimitPercent)
	}
	if c.DaemonMaxMessageSize != 1000 || c.DaemonHeartbeat != 300 || c.DaemonAllowTLS12 {
		t.Errorf("daemon_max_message_size %d, daemon_heartbeat %d, daemon_allow_tls_1_2 %v; want 1000, 300, false",
			c.DaemonMaxMessageSize, c.DaemonHeartbeat, c.DaemonAllowTLS12)
	}
	// The reference writes Python's True and False.
	if c := mustLoad(t, newRoot(t, []byte("daemon_allow_tls_1_2: True\n"))); !c.DaemonAllowTLS12 {
		t.Error("daemon_allow_tls_1_2: True read as false")
	}
}
