package config

import (
	"fmt"
	"maps"
	"net"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Names of the built-in networks.
const (
	Mainnet   = "mainnet"
	Testnet11 = "testnet11"
)

// Default full-node ports of the built-in networks (the reference's
// default_full_node_port).
const (
	MainnetPort   uint16 = 8444
	Testnet11Port uint16 = 58444
)

// Network is what chianet needs to know about one network: its name (sent
// in every handshake), its default full-node port and how a node finds
// its first peers.
type Network struct {
	// Name is the network's name, e.g. "mainnet".
	Name string
	// DefaultPort is the network's default full-node port
	// (default_full_node_port): DNS introducer answers are combined with
	// it and other networks' addresses told apart by it. Zero for a
	// network that has none (a private network not given one).
	DefaultPort uint16
	// AddressPrefix is the bech32m prefix of addresses, "xch" or "txch";
	// empty when unknown.
	AddressPrefix string
	// GenesisChallenge is the network's GENESIS_CHALLENGE in hex; empty
	// when unknown.
	GenesisChallenge string
	// AggSigMeAdditionalData is the network's AGG_SIG_ME_ADDITIONAL_DATA
	// in lowercase hex without 0x: network_overrides' value, else the
	// reference's default constant (DefaultAggSigMeAdditionalData), as
	// the reference resolves it.
	AggSigMeAdditionalData string
	// DNSServers are the DNS introducers asked for peers; none for a
	// private network unless config.yaml names some.
	DNSServers []string
	// Introducer is the "host:port" of the introducer asked for peers;
	// empty for none.
	Introducer string
	// AllowPrivate admits private, loopback and link-local addresses
	// (enable_private_networks). Always true for a private network.
	AllowPrivate bool
	// Private is set for a network that is not built in: one the operator
	// runs (declared in network_overrides or run with PrivateNetwork).
	Private bool
}

// DefaultAggSigMeAdditionalData is the reference's default
// AGG_SIG_ME_ADDITIONAL_DATA (mainnet's genesis challenge), which every
// network has unless network_overrides gives it another.
const DefaultAggSigMeAdditionalData = "ccd5bb71183532bff220ba46c268991a3ff07eb358e8255a65c30a2dce0e5fbb"

// builtin are the networks chianet knows without a config file: the
// reference's initial-config.yaml for mainnet, and `chia configure
// --testnet true` for testnet11 (discovery spec §2.1, transport spec §7).
//
// They are chianet's one source of these facts: package node and package
// discovery take them from here.
func builtin(name string) (Network, bool) {
	switch name {
	case Mainnet:
		return Network{
			Name:                   Mainnet,
			DefaultPort:            MainnetPort,
			AddressPrefix:          "xch",
			GenesisChallenge:       "ccd5bb71183532bff220ba46c268991a3ff07eb358e8255a65c30a2dce0e5fbb",
			AggSigMeAdditionalData: DefaultAggSigMeAdditionalData,
			DNSServers: []string{
				"dns-introducer.chia.net",
				"chia.ctrlaltdel.ch",
				"seeder.dexie.space",
				"chia.hoffmang.com",
				"seeder.xchpool.org",
				"seeder.xchseeder.com",
			},
			Introducer: "introducer.chia.net:8444",
		}, true
	case Testnet11:
		return Network{
			Name:                   Testnet11,
			DefaultPort:            Testnet11Port,
			AddressPrefix:          "txch",
			GenesisChallenge:       "37a90eb5185a9c4439a91ddc98bbadce7b4feba060d50116a067de66bf236615",
			AggSigMeAdditionalData: "37a90eb5185a9c4439a91ddc98bbadce7b4feba060d50116a067de66bf236615",
			DNSServers:             []string{"dns-introducer-testnet11.chia.net"},
			Introducer:             "introducer-testnet11.chia.net:58444",
		}, true
	}
	return Network{}, false
}

// KnownNetworks returns the names of the built-in networks, sorted:
// mainnet and testnet11.
func KnownNetworks() []string {
	return []string{Mainnet, Testnet11}
}

// BuiltinNetwork returns a built-in network with its defaults, as if no
// config.yaml said anything about it, and whether name is one.
func BuiltinNetwork(name string) (Network, bool) {
	return builtin(name)
}

// UnknownNetworkError is returned for a network name that is neither
// built in nor declared in config.yaml's network_overrides.
type UnknownNetworkError struct {
	// Name is the name asked for.
	Name string
	// Builtin are the built-in networks' names.
	Builtin []string
	// Declared are the names config.yaml's network_overrides declares
	// that are not built in, sorted.
	Declared []string
}

func (e *UnknownNetworkError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "unknown network %q: known networks are %s (built in)", e.Name, strings.Join(e.Builtin, ", "))
	if len(e.Declared) > 0 {
		fmt.Fprintf(&b, " and %s (network_overrides)", strings.Join(e.Declared, ", "))
	}
	b.WriteString("; a private network must be declared under network_overrides.config in config.yaml, or run as a private network")
	return b.String()
}

// DeclaredNetworks returns the names that network_overrides declares
// (under config or constants), sorted, built-in ones included.
func (c *Config) DeclaredNetworks() []string {
	names := slices.Collect(maps.Keys(c.NetworkOverrides.Config))
	for n := range c.NetworkOverrides.Constants {
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return names
}

// SelectedNetworkName returns the network the full node joins:
// full_node.selected_network, else the top-level selected_network, else
// mainnet.
func (c *Config) SelectedNetworkName() string {
	switch {
	case c.FullNode.SelectedNetwork != "":
		return c.FullNode.SelectedNetwork
	case c.SelectedNetwork != "":
		return c.SelectedNetwork
	}
	return Mainnet
}

// Network resolves a network by name; "" means SelectedNetworkName. The
// name must be built in (KnownNetworks) or declared in network_overrides;
// any other name is an *UnknownNetworkError listing the known ones.
//
// The built-in defaults are overlaid with network_overrides: its
// default_full_node_port, address_prefix and GENESIS_CHALLENGE for the
// name win where present. The full_node section describes the selected
// network only, as the reference's `chia configure` keeps it: for that
// network its dns_servers and introducer_peer, where present, replace the
// defaults, and introducer_peer.enable_private_networks sets AllowPrivate.
// Any other network gets its built-in DNS introducers and introducer. A
// network that is not built in is Private: it has neither unless the file
// names them for it.
func (c *Config) Network(name string) (Network, error) {
	if name == "" {
		name = c.SelectedNetworkName()
	}
	if err := checkNetworkName(name); err != nil {
		return Network{}, err
	}
	nw, ok := builtin(name)
	if !ok && !slices.Contains(c.DeclaredNetworks(), name) {
		return Network{}, c.unknownNetwork(name)
	}
	return c.resolve(name, nw, ok)
}

// PrivateNetwork returns name as a private network: one of the operator's
// own, with no DNS introducers or introducer of its own and private
// addresses admitted. The name need not be declared in network_overrides;
// if it is, its default port and prefix come from there, and if it is the
// selected network, the full_node section's introducer and DNS servers
// apply as in Network. A built-in network cannot be private.
func (c *Config) PrivateNetwork(name string) (Network, error) {
	if err := checkNetworkName(name); err != nil {
		return Network{}, err
	}
	if _, ok := builtin(name); ok {
		return Network{}, fmt.Errorf("network %q is a public network and cannot be run as a private one", name)
	}
	return c.resolve(name, Network{}, false)
}

func (c *Config) unknownNetwork(name string) *UnknownNetworkError {
	e := &UnknownNetworkError{Name: name, Builtin: KnownNetworks()}
	for _, n := range c.DeclaredNetworks() {
		if _, ok := builtin(n); !ok {
			e.Declared = append(e.Declared, n)
		}
	}
	return e
}

// resolve overlays the file's values for name on nw, the built-in network
// (isBuiltin) or a zero Network.
func (c *Config) resolve(name string, nw Network, isBuiltin bool) (Network, error) {
	nw.Name = name
	nw.Private = !isBuiltin
	nw.DNSServers = slices.Clone(nw.DNSServers)
	if o, ok := c.NetworkOverrides.Config[name]; ok {
		if o.DefaultFullNodePort != 0 {
			p, err := portValue("network_overrides.config."+name+".default_full_node_port", o.DefaultFullNodePort, false)
			if err != nil {
				return Network{}, err
			}
			nw.DefaultPort = p
		}
		if o.AddressPrefix != "" {
			nw.AddressPrefix = o.AddressPrefix
		}
	}
	k := c.NetworkOverrides.Constants[name]
	if k.GenesisChallenge != "" {
		nw.GenesisChallenge = k.GenesisChallenge
	}
	if nw.AggSigMeAdditionalData == "" {
		nw.AggSigMeAdditionalData = DefaultAggSigMeAdditionalData
	}
	if k.AggSigMeAdditionalData != "" {
		d, err := hash32Value("network_overrides.constants."+name+".AGG_SIG_ME_ADDITIONAL_DATA", k.AggSigMeAdditionalData)
		if err != nil {
			return Network{}, err
		}
		nw.AggSigMeAdditionalData = d
	}
	if name == c.SelectedNetworkName() {
		fn := &c.FullNode
		if fn.DNSServers != nil {
			nw.DNSServers = slices.Clone(fn.DNSServers)
		}
		if ip := fn.IntroducerPeer; ip != nil {
			nw.Introducer = ""
			if ip.Host != "" {
				nw.Introducer = net.JoinHostPort(ip.Host, strconv.Itoa(ip.Port))
			}
			nw.AllowPrivate = ip.EnablePrivateNetworks
		}
	}
	if nw.Private {
		nw.AllowPrivate = true
	}
	return nw, nil
}

// checkNetworkName refuses a name that cannot be a network's: chianet
// puts it in file names (db/peers-<network>.dat), as the reference does
// in its database's name.
func checkNetworkName(name string) error {
	if name == "" || name == "." || name == ".." || strings.ContainsFunc(name, func(r rune) bool {
		return r == '/' || r == '\\' || r == filepath.Separator || unicode.IsControl(r) || unicode.IsSpace(r)
	}) {
		return fmt.Errorf("%q is not a usable network name", name)
	}
	return nil
}
