package config

// The typed view of config.yaml. Each field's yaml tag is its key in the
// file; a field is read from the file when its key is there and is not
// null, and otherwise keeps the default that Load documents for it.
// Every key not listed here is kept untouched in the file's node tree.

// NetworkOverrides is the network_overrides section: facts about each
// network, by network name.
type NetworkOverrides struct {
	// Constants are network_overrides.constants: consensus constants by
	// network name. chianet reads only GENESIS_CHALLENGE and
	// AGG_SIG_ME_ADDITIONAL_DATA.
	Constants map[string]NetworkConstants `yaml:"constants"`
	// Config are network_overrides.config: service settings by network
	// name.
	Config map[string]NetworkConfig `yaml:"config"`
}

// NetworkConstants are the consensus constants of one network that
// chianet reads (network_overrides.constants.<name>).
type NetworkConstants struct {
	// GenesisChallenge is GENESIS_CHALLENGE, lowercase hex without 0x as
	// the reference writes it (the RPC's get_network_info returns it as
	// is). Empty when absent.
	GenesisChallenge string `yaml:"GENESIS_CHALLENGE"`
	// AggSigMeAdditionalData is AGG_SIG_ME_ADDITIONAL_DATA, 32 bytes in
	// hex (with or without 0x). Empty when absent.
	AggSigMeAdditionalData string `yaml:"AGG_SIG_ME_ADDITIONAL_DATA"`
}

// NetworkConfig is network_overrides.config.<name>.
type NetworkConfig struct {
	// AddressPrefix is address_prefix, "xch" on mainnet and "txch" on the
	// testnets. Empty when absent.
	AddressPrefix string `yaml:"address_prefix"`
	// DefaultFullNodePort is default_full_node_port: the port DNS
	// introducer answers are combined with and the one other networks'
	// addresses are told apart by. Zero when absent.
	DefaultFullNodePort int `yaml:"default_full_node_port"`
}

// CAFiles are the certificate and key paths of a CA (private_ssl_ca,
// chia_ssl_ca), relative to the root unless absolute.
type CAFiles struct {
	Crt string `yaml:"crt"`
	Key string `yaml:"key"`
}

// SSLFiles are a service's certificate and key paths (the ssl key of a
// section, and daemon_ssl), relative to the root unless absolute. A
// service without a certificate of one kind has those two empty.
type SSLFiles struct {
	PrivateCrt string `yaml:"private_crt"`
	PrivateKey string `yaml:"private_key"`
	PublicCrt  string `yaml:"public_crt"`
	PublicKey  string `yaml:"public_key"`
}

// Logging is the logging section.
type Logging struct {
	// LogStdout is log_stdout: log to standard output instead of
	// LogFilename. Default false.
	LogStdout bool `yaml:"log_stdout"`
	// LogFilename is log_filename, relative to the root unless absolute.
	// Default "log/debug.log".
	LogFilename string `yaml:"log_filename"`
	// LogLevel is log_level: CRITICAL, ERROR, WARNING, INFO, DEBUG or
	// NOTSET (WARN and FATAL are accepted too, as Python accepts them).
	// Default "WARNING". See SlogLevel.
	LogLevel string `yaml:"log_level"`
	// LogMaxFilesRotation is log_maxfilesrotation: how many rotated files
	// are kept. Default 7.
	LogMaxFilesRotation int `yaml:"log_maxfilesrotation"`
	// LogMaxBytesRotation is log_maxbytesrotation: the size at which the
	// log file is rotated. Default 52428800 (50 MiB).
	LogMaxBytesRotation int64 `yaml:"log_maxbytesrotation"`
	// LogUseGzip is log_use_gzip: compress rotated files. Default false.
	LogUseGzip bool `yaml:"log_use_gzip"`
	// LogSyslog is log_syslog: log to LogSyslogHost:LogSyslogPort over
	// UDP. Default false.
	LogSyslog bool `yaml:"log_syslog"`
	// LogSyslogHost is log_syslog_host. Default "localhost".
	LogSyslogHost string `yaml:"log_syslog_host"`
	// LogSyslogPort is log_syslog_port. Default 514.
	LogSyslogPort int `yaml:"log_syslog_port"`
}

// Peer is a host and port, as full_node.full_node_peers lists them.
type Peer struct {
	Host string `yaml:"host"`
	Port int    `yaml:"port"`
}

// IntroducerPeer is full_node.introducer_peer: the introducer asked for
// peers when the address manager has none to offer.
type IntroducerPeer struct {
	// Host is host; empty means no introducer.
	Host string `yaml:"host"`
	// Port is port.
	Port int `yaml:"port"`
	// EnablePrivateNetworks is enable_private_networks: admit private,
	// loopback and link-local addresses into the address manager.
	EnablePrivateNetworks bool `yaml:"enable_private_networks"`
}

// FullNode is the full_node section.
type FullNode struct {
	// Port is port: the port other full nodes reach this one on. 0 takes
	// any free port. Default 8444.
	Port int `yaml:"port"`
	// SelectedNetwork is the section's selected_network. Empty (the
	// default when the key is absent) means the top-level
	// selected_network; see Config.SelectedNetworkName.
	SelectedNetwork string `yaml:"selected_network"`
	// FullNodePeers is full_node_peers: full nodes to stay connected to
	// whatever discovery does. Default none.
	FullNodePeers []Peer `yaml:"full_node_peers"`
	// PeersFilePath is peers_file_path: the address manager's tables,
	// relative to the root unless absolute. Default "db/peers.dat".
	PeersFilePath string `yaml:"peers_file_path"`
	// StartRPCServer is start_rpc_server. Default true.
	StartRPCServer bool `yaml:"start_rpc_server"`
	// RPCPort is rpc_port. Default 8555.
	RPCPort int `yaml:"rpc_port"`
	// PeerConnectTimeout is peer_connect_timeout, in seconds. Default 30.
	PeerConnectTimeout int `yaml:"peer_connect_timeout"`
	// TargetPeerCount is target_peer_count: inbound full nodes are
	// accepted while there are fewer than TargetPeerCount −
	// TargetOutboundPeerCount of them. Default 40.
	TargetPeerCount int `yaml:"target_peer_count"`
	// TargetOutboundPeerCount is target_outbound_peer_count: how many
	// outbound full-node connections discovery keeps. Default 8.
	TargetOutboundPeerCount int `yaml:"target_outbound_peer_count"`
	// MaxInboundWallet is max_inbound_wallet. Default 20.
	MaxInboundWallet int `yaml:"max_inbound_wallet"`
	// MaxInboundFarmer is max_inbound_farmer. Default 10.
	MaxInboundFarmer int `yaml:"max_inbound_farmer"`
	// MaxInboundTimelord is max_inbound_timelord, which configs written
	// before 2026 carry (5). The reference no longer reads it: it accepts
	// inbound timelords only from localhost and exempt networks. Zero
	// when absent.
	MaxInboundTimelord int `yaml:"max_inbound_timelord"`
	// ExemptPeerNetworks is exempt_peer_networks: addresses and CIDR
	// blocks whose peers are never banned or limited. Default none.
	ExemptPeerNetworks []string `yaml:"exempt_peer_networks"`
	// TrustedPeers is trusted_peers: a mapping whose keys are the node
	// ids, in hex, of peers never banned; its values are ignored. See
	// Config.TrustedNodeIDs. Default none.
	TrustedPeers map[string]any `yaml:"trusted_peers"`
	// TrustedCIDRs is trusted_cidrs: addresses and CIDR blocks whose
	// peers are never banned. See Config.TrustedNetworks. Default none.
	TrustedCIDRs []string `yaml:"trusted_cidrs"`
	// DNSServers is dns_servers: the DNS introducers. Nil (the key is
	// absent) means the selected network's defaults; empty means none.
	DNSServers []string `yaml:"dns_servers"`
	// IntroducerPeer is introducer_peer. Nil (the key is absent) means the
	// selected network's default introducer.
	IntroducerPeer *IntroducerPeer `yaml:"introducer_peer"`
	// SSL is ssl: the full node's private and public certificates.
	// Default the reference's layout, config/ssl/full_node/….
	SSL SSLFiles `yaml:"ssl"`
}

// Introducer is the introducer section.
type Introducer struct {
	// Host is host. Empty (the default when the key is absent) means
	// self_hostname.
	Host string `yaml:"host"`
	// SelectedNetwork is the section's selected_network. Empty (the
	// default when the key is absent) means the top-level
	// selected_network.
	SelectedNetwork string `yaml:"selected_network"`
	// Port is port. Default 8445 (the public mainnet introducer,
	// introducer.chia.net, runs on 8444).
	Port int `yaml:"port"`
	// MaxPeersToSend is max_peers_to_send. Default 20.
	MaxPeersToSend int `yaml:"max_peers_to_send"`
	// RecentPeerThreshold is recent_peer_threshold, in seconds. Default
	// 6000.
	RecentPeerThreshold int `yaml:"recent_peer_threshold"`
	// DNSServers is dns_servers: the DNS introducers asked when too few
	// vetted peers are known. Nil (the key is absent) means the network's
	// defaults.
	DNSServers []string `yaml:"dns_servers"`
	// SSL is ssl. Default the full node's public certificate, as the
	// reference has it.
	SSL SSLFiles `yaml:"ssl"`
}

// SOA is seeder.soa: the fields of the DNS server's SOA record.
type SOA struct {
	// Rname is rname, the mailbox with its @ written as a dot.
	// Default "hostmaster.example.com".
	Rname string `yaml:"rname"`
	// SerialNumber is serial_number. Default 1619105223.
	SerialNumber int64 `yaml:"serial_number"`
	// Refresh, Retry, Expire and Minimum are in seconds. Defaults
	// 10800, 10800, 604800 and 1800.
	Refresh int64 `yaml:"refresh"`
	Retry   int64 `yaml:"retry"`
	Expire  int64 `yaml:"expire"`
	Minimum int64 `yaml:"minimum"`
}

// Crawler is seeder.crawler.
type Crawler struct {
	// StartRPCServer is start_rpc_server. Default true.
	StartRPCServer bool `yaml:"start_rpc_server"`
	// RPCPort is rpc_port. Default 8561.
	RPCPort int `yaml:"rpc_port"`
	// PrunePeerDays is prune_peer_days. Default 90.
	PrunePeerDays int `yaml:"prune_peer_days"`
	// SSL is ssl: the crawler's private certificate. Default
	// config/ssl/crawler/private_crawler.{crt,key}.
	SSL SSLFiles `yaml:"ssl"`
}

// Seeder is the seeder section: the DNS seeder and its crawler.
type Seeder struct {
	// Port is port: the port the crawler's full node advertises. Default
	// 8444.
	Port int `yaml:"port"`
	// SelectedNetwork is the section's selected_network. Empty (the
	// default when the key is absent) means the top-level
	// selected_network.
	SelectedNetwork string `yaml:"selected_network"`
	// OtherPeersPort is other_peers_port: only peers on this port are
	// crawled. Default 8444.
	OtherPeersPort int `yaml:"other_peers_port"`
	// DNSPort is dns_port. Default 53.
	DNSPort int `yaml:"dns_port"`
	// PeerConnectTimeout is peer_connect_timeout, in seconds. Default 2.
	PeerConnectTimeout int `yaml:"peer_connect_timeout"`
	// CrawlerDBPath is crawler_db_path, relative to the root unless
	// absolute. Default "crawler.db".
	CrawlerDBPath string `yaml:"crawler_db_path"`
	// BootstrapPeers is bootstrap_peers. Default ["node.chia.net"].
	BootstrapPeers []string `yaml:"bootstrap_peers"`
	// StaticPeers is static_peers: addresses always served. Default none.
	StaticPeers []string `yaml:"static_peers"`
	// MinimumHeight is minimum_height. Default 240000.
	MinimumHeight int64 `yaml:"minimum_height"`
	// MinimumVersionCount is minimum_version_count. Default 100.
	MinimumVersionCount int `yaml:"minimum_version_count"`
	// DomainName is domain_name. Default "seeder.example.com.".
	DomainName string `yaml:"domain_name"`
	// Nameserver is nameserver. Default "example.com.".
	Nameserver string `yaml:"nameserver"`
	// TTL is ttl, in seconds. Default 300.
	TTL int `yaml:"ttl"`
	// SOA is soa.
	SOA SOA `yaml:"soa"`
	// Crawler is crawler.
	Crawler Crawler `yaml:"crawler"`
}
