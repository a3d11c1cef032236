package config

import (
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"math"
	"net/netip"
	"slices"
	"strings"
)

// FieldError is a value of config.yaml that chianet cannot use. Key is
// the value's dotted path in the file, e.g. "full_node.port".
type FieldError struct {
	Key    string
	Reason string
}

func (e *FieldError) Error() string { return e.Key + ": " + e.Reason }

// Validate checks the values chianet reads and returns every problem
// found, each a *FieldError naming its key, joined with errors.Join; nil
// when there is none.
func (c *Config) Validate() error {
	v := &validator{}
	v.network("selected_network", c.SelectedNetwork, c)
	for _, s := range []struct{ key, name string }{
		{"full_node.selected_network", c.FullNode.SelectedNetwork},
		{"introducer.selected_network", c.Introducer.SelectedNetwork},
		{"seeder.selected_network", c.Seeder.SelectedNetwork},
	} {
		if s.name != "" {
			v.network(s.key, s.name, c)
		}
	}
	if c.SelfHostname == "" {
		v.fail("self_hostname", "is empty")
	}
	v.port("daemon_port", c.DaemonPort, false)
	for _, name := range c.DeclaredNetworks() {
		if o, ok := c.NetworkOverrides.Config[name]; ok && o.DefaultFullNodePort != 0 {
			v.port("network_overrides.config."+name+".default_full_node_port", o.DefaultFullNodePort, false)
		}
		if err := checkNetworkName(name); err != nil {
			v.fail("network_overrides", err.Error())
		}
		if k := c.NetworkOverrides.Constants[name]; k.AggSigMeAdditionalData != "" {
			key := "network_overrides.constants." + name + ".AGG_SIG_ME_ADDITIONAL_DATA"
			if _, err := hash32Value(key, k.AggSigMeAdditionalData); err != nil {
				v.fail(key, err.(*FieldError).Reason)
			}
		}
	}
	if _, err := c.Logging.SlogLevel(); err != nil {
		v.fail("logging.log_level", err.Error())
	}
	v.nonNegative("logging.log_maxfilesrotation", int64(c.Logging.LogMaxFilesRotation))
	v.nonNegative("logging.log_maxbytesrotation", c.Logging.LogMaxBytesRotation)
	if c.Logging.LogSyslog {
		v.port("logging.log_syslog_port", c.Logging.LogSyslogPort, false)
	}

	v.positive("inbound_rate_limit_percent", c.InboundRateLimitPercent)
	v.positive("daemon_heartbeat", c.DaemonHeartbeat)
	if c.DaemonMaxMessageSize <= 0 {
		v.fail("daemon_max_message_size", fmt.Sprintf("%d is not a positive number", c.DaemonMaxMessageSize))
	}
	v.positive("outbound_rate_limit_percent", c.OutboundRateLimitPercent)

	fn := &c.FullNode
	v.port("full_node.port", fn.Port, true)
	v.port("full_node.rpc_port", fn.RPCPort, true)
	v.positive("full_node.peer_connect_timeout", fn.PeerConnectTimeout)
	v.nonNegative("full_node.target_peer_count", int64(fn.TargetPeerCount))
	v.nonNegative("full_node.target_outbound_peer_count", int64(fn.TargetOutboundPeerCount))
	if fn.TargetOutboundPeerCount > fn.TargetPeerCount && fn.TargetPeerCount >= 0 {
		v.fail("full_node.target_outbound_peer_count", fmt.Sprintf("%d is more than full_node.target_peer_count (%d)", fn.TargetOutboundPeerCount, fn.TargetPeerCount))
	}
	v.nonNegative("full_node.max_inbound_wallet", int64(fn.MaxInboundWallet))
	v.nonNegative("full_node.max_inbound_farmer", int64(fn.MaxInboundFarmer))
	v.nonNegative("full_node.max_inbound_timelord", int64(fn.MaxInboundTimelord))
	for i, p := range fn.FullNodePeers {
		key := fmt.Sprintf("full_node.full_node_peers[%d]", i)
		if p.Host == "" {
			v.fail(key+".host", "is empty")
		}
		v.port(key+".port", p.Port, false)
	}
	for i, s := range fn.ExemptPeerNetworks {
		if _, err := parseNetwork(s); err != nil {
			v.fail(fmt.Sprintf("full_node.exempt_peer_networks[%d]", i), err.Error())
		}
	}
	v.hosts("full_node.dns_servers", fn.DNSServers)
	if ip := fn.IntroducerPeer; ip != nil && ip.Host != "" {
		v.port("full_node.introducer_peer.port", ip.Port, false)
	}

	in := &c.Introducer
	v.port("introducer.port", in.Port, true)
	v.nonNegative("introducer.max_peers_to_send", int64(in.MaxPeersToSend))
	v.nonNegative("introducer.recent_peer_threshold", int64(in.RecentPeerThreshold))
	v.hosts("introducer.dns_servers", in.DNSServers)

	s := &c.Seeder
	v.port("seeder.port", s.Port, true)
	v.port("seeder.other_peers_port", s.OtherPeersPort, false)
	v.port("seeder.dns_port", s.DNSPort, true)
	v.positive("seeder.peer_connect_timeout", s.PeerConnectTimeout)
	v.hosts("seeder.bootstrap_peers", s.BootstrapPeers)
	v.hosts("seeder.static_peers", s.StaticPeers)
	v.nonNegative("seeder.minimum_height", s.MinimumHeight)
	v.nonNegative("seeder.minimum_version_count", int64(s.MinimumVersionCount))
	v.uint32("seeder.ttl", int64(s.TTL))
	v.uint32("seeder.soa.serial_number", s.SOA.SerialNumber)
	v.uint32("seeder.soa.refresh", s.SOA.Refresh)
	v.uint32("seeder.soa.retry", s.SOA.Retry)
	v.uint32("seeder.soa.expire", s.SOA.Expire)
	v.uint32("seeder.soa.minimum", s.SOA.Minimum)
	v.port("seeder.crawler.rpc_port", s.Crawler.RPCPort, true)
	v.nonNegative("seeder.crawler.prune_peer_days", int64(s.Crawler.PrunePeerDays))
	return errors.Join(v.errs...)
}

type validator struct{ errs []error }

func (v *validator) fail(key, reason string) {
	v.errs = append(v.errs, &FieldError{Key: key, Reason: reason})
}

func (v *validator) port(key string, p int, zeroOK bool) {
	if _, err := portValue(key, p, zeroOK); err != nil {
		v.errs = append(v.errs, err)
	}
}

func (v *validator) positive(key string, n int) {
	if n <= 0 {
		v.fail(key, fmt.Sprintf("%d is not a positive number", n))
	}
}

func (v *validator) nonNegative(key string, n int64) {
	if n < 0 {
		v.fail(key, fmt.Sprintf("%d is negative", n))
	}
}

func (v *validator) uint32(key string, n int64) {
	if n < 0 || n > math.MaxUint32 {
		v.fail(key, fmt.Sprintf("%d is out of range 0–%d", n, uint32(math.MaxUint32)))
	}
}

func (v *validator) hosts(key string, hosts []string) {
	for i, h := range hosts {
		if strings.TrimSpace(h) == "" {
			v.fail(fmt.Sprintf("%s[%d]", key, i), "is empty")
		}
	}
}

func (v *validator) network(key, name string, c *Config) {
	_, err := c.Network(name)
	var fe *FieldError
	if err != nil && !errors.As(err, &fe) { // a FieldError is reported at its own key
		v.fail(key, err.Error())
	}
}

// portValue checks that p is a port number: 1–65535, or 0 too when zeroOK
// (a listening port where 0 takes any free one).
// hash32Value reads 32 bytes of hex, with or without 0x as the reference
// reads a constant, and returns them in lowercase hex without 0x.
func hash32Value(key, s string) (string, error) {
	h := strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	if b, err := hex.DecodeString(h); err != nil || len(b) != 32 {
		return "", &FieldError{Key: key, Reason: fmt.Sprintf("%q is not 32 bytes of hex", s)}
	}
	return strings.ToLower(h), nil
}

func portValue(key string, p int, zeroOK bool) (uint16, error) {
	lo := 1
	if zeroOK {
		lo = 0
	}
	if p < lo || p > math.MaxUint16 {
		return 0, &FieldError{Key: key, Reason: fmt.Sprintf("%d is out of range %d–65535", p, lo)}
	}
	return uint16(p), nil
}

// parseNetwork parses an exempt_peer_networks entry: an address or a CIDR
// block.
func parseNetwork(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("%q is not an address or CIDR block", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("%q is not an address or CIDR block", s)
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// ExemptNetworks returns full_node.exempt_peer_networks parsed, each
// address as a one-address prefix and each block as its network (see
// HostBitsEntries).
func (c *Config) ExemptNetworks() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for i, s := range c.FullNode.ExemptPeerNetworks {
		p, err := parseNetwork(s)
		if err != nil {
			return nil, &FieldError{Key: fmt.Sprintf("full_node.exempt_peer_networks[%d]", i), Reason: err.Error()}
		}
		out = append(out, p)
	}
	return out, nil
}

// exampleTrustedPeer is the key of the reference template's
// full_node.trusted_peers entry: a placeholder, not a node id.
const exampleTrustedPeer = "0ThisisanexampleNodeID7ff9d60f1c3fa270c213c0ad0cb89c01274634a7c3cb7"

// TrustedNodeIDs returns the node ids that are keys of
// full_node.trusted_peers, in the keys' sorted order, and the keys that
// are not a node id (64 lower-case hex digits). The reference looks a
// peer's node id up as lower-case hex among the keys, so any other key,
// one in upper case included, trusts nobody; Load does not refuse them. The reference template's placeholder key is
// in neither list.
func (c *Config) TrustedNodeIDs() (ids [][32]byte, invalid []string) {
	for _, k := range slices.Sorted(maps.Keys(c.FullNode.TrustedPeers)) {
		var id [32]byte
		if len(k) == hex.EncodedLen(len(id)) {
			if _, err := hex.Decode(id[:], []byte(k)); err == nil && hex.EncodeToString(id[:]) == k {
				ids = append(ids, id)
				continue
			}
		}
		if k != exampleTrustedPeer {
			invalid = append(invalid, k)
		}
	}
	return ids, invalid
}

// TrustedNetworks returns full_node.trusted_cidrs parsed, each address as
// a one-address prefix and each block as its network (see
// HostBitsEntries), and the entries that are neither an address nor a
// CIDR block. Load does not refuse those: the reference fails on one
// only when it checks a peer against it.
func (c *Config) TrustedNetworks() (nets []netip.Prefix, invalid []string) {
	for _, s := range c.FullNode.TrustedCIDRs {
		if p, err := parseNetwork(s); err == nil {
			nets = append(nets, p)
		} else {
			invalid = append(invalid, s)
		}
	}
	return nets, invalid
}

// HostBitsEntry is an entry of full_node.exempt_peer_networks or
// trusted_cidrs whose address has bits set past its prefix length, such
// as 10.1.2.3/24.
type HostBitsEntry struct {
	// Key is the list's key, e.g. "full_node.trusted_cidrs".
	Key string
	// Entry is the entry as written.
	Entry string
	// Network is the network that applies: Entry with the host bits
	// cleared (10.1.2.0/24).
	Network netip.Prefix
}

// HostBitsEntries returns the entries of full_node.exempt_peer_networks,
// then of trusted_cidrs, that have host bits set, in file order. chianet
// uses their network, as the reference does for exempt_peer_networks
// (which it reads with strict=False), and tells the caller so that it can
// warn: such an entry is likely a typo for one address or another length.
// The reference fails on such a trusted_cidrs entry each time it checks a
// peer against it, which chianet does not copy.
func (c *Config) HostBitsEntries() []HostBitsEntry {
	var out []HostBitsEntry
	for _, l := range []struct {
		key     string
		entries []string
	}{{"full_node.exempt_peer_networks", c.FullNode.ExemptPeerNetworks}, {"full_node.trusted_cidrs", c.FullNode.TrustedCIDRs}} {
		for _, s := range l.entries {
			if p, err := netip.ParsePrefix(s); err == nil && p != p.Masked() {
				out = append(out, HostBitsEntry{Key: l.key, Entry: s, Network: p.Masked()})
			}
		}
	}
	return out
}

// SlogLevel maps log_level, a Python logging level name (any case), to a
// slog level: DEBUG and NOTSET to Debug, INFO to Info, WARNING (WARN) to
// Warn, ERROR to Error and CRITICAL (FATAL) to Error+4.
func (l Logging) SlogLevel() (slog.Level, error) {
	switch strings.ToUpper(l.LogLevel) {
	case "CRITICAL", "FATAL":
		return slog.LevelError + 4, nil
	case "ERROR":
		return slog.LevelError, nil
	case "WARNING", "WARN":
		return slog.LevelWarn, nil
	case "INFO":
		return slog.LevelInfo, nil
	case "DEBUG", "NOTSET":
		return slog.LevelDebug, nil
	}
	return 0, fmt.Errorf("%q is not one of CRITICAL, ERROR, WARNING, INFO, DEBUG, NOTSET", l.LogLevel)
}
