package config

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/chianet/chianet/protocol"
)

//go:embed default_config.yaml
var defaultConfigYAML []byte

// Config is the typed view of a CHIA_ROOT's config.yaml: the keys chianet
// reads, each field named after its key. Load and Default make one; the
// fields may then be changed and written back with Save, which changes
// only the keys whose values differ from what was read and keeps every
// other key, comment and anchor of the file.
//
// A Config is not safe for concurrent use. Copies of a Config share
// nothing that Save changes.
type Config struct {
	// Root is the absolute CHIA_ROOT directory; the file is
	// Root/config/config.yaml and its relative paths are relative to Root.
	// It is not part of the file.
	Root string `yaml:"-"`

	// SelectedNetwork is selected_network: the network every service
	// joins unless its section names another. Default "mainnet". The
	// sections' own selected_network keys (full_node, introducer, seeder
	// and the reference's other services) are separate values, aliases of
	// this one in the reference's template and chianet's: setting this
	// field changes this key alone (see Save), so a switch of network
	// sets the sections' keys too, as `chia configure --testnet` does.
	SelectedNetwork string `yaml:"selected_network"`
	// SelfHostname is self_hostname: the host the local RPC and daemon
	// listen on and are reached at. Default "localhost".
	SelfHostname string `yaml:"self_hostname"`
	// DaemonPort is daemon_port. Default 55400.
	DaemonPort int `yaml:"daemon_port"`
	// DaemonMaxMessageSize is daemon_max_message_size: the largest
	// message the daemon's WebSocket takes, in bytes. Default 50,000,000.
	DaemonMaxMessageSize int64 `yaml:"daemon_max_message_size"`
	// DaemonHeartbeat is daemon_heartbeat: the seconds a daemon connection
	// may stay silent (not even a pong) before it is closed. Default 300.
	DaemonHeartbeat int `yaml:"daemon_heartbeat"`
	// DaemonAllowTLS12 is daemon_allow_tls_1_2: whether the daemon's
	// WebSocket also accepts TLS 1.2 clients (see package rpc for the
	// cipher suites). Default false: TLS 1.3 only.
	DaemonAllowTLS12 bool `yaml:"daemon_allow_tls_1_2"`
	// InboundRateLimitPercent is inbound_rate_limit_percent: the scaling
	// of the rate limits the full node applies to what its peers send.
	// Default 100.
	InboundRateLimitPercent int `yaml:"inbound_rate_limit_percent"`
	// OutboundRateLimitPercent is outbound_rate_limit_percent: the scaling
	// of the rate limits the full node applies to what it sends. Default 30.
	OutboundRateLimitPercent int `yaml:"outbound_rate_limit_percent"`
	// NetworkOverrides is network_overrides. Absent means no entries: the
	// built-in networks (mainnet, testnet11) are known anyway.
	NetworkOverrides NetworkOverrides `yaml:"network_overrides"`
	// PrivateSSLCA is private_ssl_ca. Default config/ssl/ca/private_ca.*.
	PrivateSSLCA CAFiles `yaml:"private_ssl_ca"`
	// ChiaSSLCA is chia_ssl_ca. Default config/ssl/ca/chia_ca.*.
	ChiaSSLCA CAFiles `yaml:"chia_ssl_ca"`
	// DaemonSSL is daemon_ssl: the certificate every service's RPC server
	// presents. Default config/ssl/daemon/private_daemon.*.
	DaemonSSL SSLFiles `yaml:"daemon_ssl"`
	// Logging is the top-level logging section. The reference's sections
	// each carry a logging key, in its own template an alias of this one;
	// chianet reads this one.
	Logging Logging `yaml:"logging"`
	// FullNode is the full_node section.
	FullNode FullNode `yaml:"full_node"`
	// Introducer is the introducer section.
	Introducer Introducer `yaml:"introducer"`
	// Seeder is the seeder section.
	Seeder Seeder `yaml:"seeder"`

	// file is the file as read or last saved; nil for a Config not made
	// by Load or Default.
	file *file
}

// file is a config.yaml as read: its bytes, its node tree, and the typed
// view decoded from it, against which Save finds what changed.
type file struct {
	raw    []byte
	doc    *yaml.Node // the document node
	loaded Config     // its file is nil
}

// FilePath returns the path of root's config.yaml, root/config/config.yaml.
func FilePath(root string) string {
	return filepath.Join(root, "config", "config.yaml")
}

// Path returns p made absolute against the root, as the reference reads
// every path of config.yaml; an absolute p is returned cleaned.
func (c *Config) Path(p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(c.Root, p)
}

// Load reads root/config/config.yaml and checks it with Validate. A
// relative root is made absolute against the working directory. Keys the
// file does not have take the defaults of chianet's template (the
// reference's); the field comments list them. When the file does not
// exist the error wraps fs.ErrNotExist; when it is over MaxFileSize,
// ErrTooLarge.
func Load(root string) (*Config, error) {
	root, err := absRoot(root)
	if err != nil {
		return nil, err
	}
	path := FilePath(root)
	raw, err := readLimited(path, MaxFileSize)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	c, err := parse(root, raw)
	if err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	return c, nil
}

// Default returns chianet's default configuration for root, as `chianet
// init` writes it: the reference's layout and defaults for mainnet, with
// the sections chianet reads and ui (read by the reference's daemon
// clients). A relative root is made absolute against the
// working directory. Nothing is written until Save or Create.
func Default(root string) (*Config, error) {
	root, err := absRoot(root)
	if err != nil {
		return nil, err
	}
	c, err := parse(root, defaultConfigYAML)
	if err != nil {
		return nil, fmt.Errorf("config: default template: %w", err)
	}
	return c, nil
}

// MaxFileSize bounds the config.yaml Load reads: the reference's is some
// 30 kB. A larger file is refused before it is parsed, since its node
// tree takes up to some 120 times its size (a flow list of one-digit
// numbers), so that 1 MiB costs at most about 120 MB.
const MaxFileSize = 1 << 20

// ErrTooLarge is wrapped by Load's error for a file over MaxFileSize.
var ErrTooLarge = errors.New("file too large")

// readLimited reads the file at path, refusing one over limit bytes
// without reading the rest of it.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(raw)) > limit {
		return nil, fmt.Errorf("%s: over %d bytes: %w", path, limit, ErrTooLarge)
	}
	return raw, nil
}

func absRoot(root string) (string, error) {
	if root == "" {
		return "", errors.New("config: empty root directory")
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return "", fmt.Errorf("config: root %q: %w", root, err)
	}
	return abs, nil
}

// Has reports whether the file read has key, a dotted path of mapping
// keys such as "seeder.other_peers_port", with a value other than null,
// following merge keys and aliases as a YAML loader does. A key the file
// lacks holds the template's default in its field; Has tells the two
// apart, for keys whose default depends on the network. A Config from
// Default has the template's keys; one made otherwise has none.
func (c *Config) Has(key string) bool {
	if c.file == nil {
		return false
	}
	n := deref(c.file.doc.Content[0])
	for _, k := range strings.Split(key, ".") {
		if n == nil || n.Kind != yaml.MappingNode {
			return false
		}
		v, _ := lookup(n, k)
		n = deref(v)
	}
	return !isNull(n)
}

// parse decodes raw, a config.yaml, into a Config for root.
func parse(root string, raw []byte) (*Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || deref(doc.Content[0]).Kind != yaml.MappingNode {
		return nil, errors.New("the file is not a YAML mapping")
	}
	if err := checkMerges(&doc); err != nil {
		return nil, err
	}
	c, err := decodeConfig(root, &doc)
	if err != nil {
		return nil, err
	}
	loaded, err := decodeConfig(root, &doc)
	if err != nil {
		return nil, err
	}
	c.file = &file{raw: raw, doc: &doc, loaded: *loaded}
	return c, nil
}

// decodeConfig decodes the typed view of doc over the defaults.
func decodeConfig(root string, doc *yaml.Node) (*Config, error) {
	c, err := baseDefaults()
	if err != nil {
		return nil, err
	}
	c.Root = root
	if err := decodeStruct(deref(doc.Content[0]), "", reflect.ValueOf(c).Elem()); err != nil {
		return nil, err
	}
	return c, nil
}

// baseDefaults returns the values of keys a file does not have: the
// template's, except where the template's value follows another key or
// the network, so that its absence means exactly that.
func baseDefaults() (*Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(defaultConfigYAML, &doc); err != nil {
		return nil, err
	}
	// The reference's defaults for keys the template leaves out.
	c := &Config{InboundRateLimitPercent: protocol.InboundRateLimitPercent, OutboundRateLimitPercent: protocol.OutboundRateLimitPercent,
		DaemonMaxMessageSize: 50_000_000, DaemonHeartbeat: 300}
	if err := decodeStruct(deref(doc.Content[0]), "", reflect.ValueOf(c).Elem()); err != nil {
		return nil, err
	}
	c.NetworkOverrides = NetworkOverrides{}
	c.FullNode.SelectedNetwork = "" // the top-level selected_network
	c.FullNode.DNSServers = nil     // the selected network's
	c.FullNode.IntroducerPeer = nil // the selected network's
	c.Introducer.Host = ""          // self_hostname
	c.Introducer.SelectedNetwork = ""
	c.Seeder.SelectedNetwork = ""
	c.Introducer.DNSServers = nil // the network's
	return c, nil
}

// Save writes the configuration to Root/config/config.yaml, replacing the
// file atomically (a synced temporary file renamed over it; the file
// keeps its permissions, 0644 for a new one). It first checks c with
// Validate.
//
// Only the keys whose values differ from those read (or last saved) are
// written; every other key, and the values chianet does not type, are
// kept. When every change replaces a scalar already in the file, the rest
// of the file is kept byte for byte, comments and blank lines included;
// otherwise the file is written again from its node tree, which keeps
// every key, anchor and most comments but not the blank lines. A config
// saved unchanged is written back byte for byte.
//
// A key whose value is written becomes that value alone, as an assignment
// does in the reference's Python: other keys that shared its old value
// through a YAML alias keep the old value. Sections chianet descends into
// (a mapping such as network_overrides) stay shared: a change inside one
// is seen by every alias of it, as in the reference once loaded.
//
// After Save, c holds the values as the file now has them.
func (c *Config) Save() error {
	return c.write(false)
}

// Create is Save for a file that must not exist yet: it fails with an
// error wrapping fs.ErrExist, and writes nothing, if Root/config/config.yaml
// exists. `chianet init` uses it so that an existing configuration is
// never replaced.
func (c *Config) Create() error {
	return c.write(true)
}

func (c *Config) write(create bool) error {
	if c.file == nil {
		return errors.New("config: Save needs a Config made by Load or Default")
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	raw, err := c.render()
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	path := FilePath(c.Root)
	if create {
		err = writeNew(path, raw, configFileMode)
	} else {
		err = replaceFile(path, raw, configFileMode)
	}
	if err != nil {
		return err
	}
	saved, err := parse(c.Root, raw)
	if err != nil {
		return fmt.Errorf("config: %s written but not readable: %w", path, err)
	}
	*c = *saved
	return nil
}

// render returns the bytes of the file with c's changes applied.
func (c *Config) render() ([]byte, error) {
	f := c.file
	doc := cloneTree(f.doc)
	w := &writer{doc: doc}
	root := &mapRef{node: deref(doc.Content[0])}
	if err := w.diffStruct(root, reflect.ValueOf(c).Elem(), reflect.ValueOf(&f.loaded).Elem()); err != nil {
		return nil, err
	}
	if len(w.edits) == 0 && !w.rewrite {
		return bytes.Clone(f.raw), nil
	}
	if !w.rewrite {
		if out, ok := patch(f.raw, w.edits); ok && sameAs(out, doc) {
			return out, nil
		}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	if !sameAs(buf.Bytes(), doc) {
		return nil, errors.New("encoding the changed file did not round-trip; nothing written")
	}
	return buf.Bytes(), nil
}

// configFileMode is the mode of a new config.yaml: it holds no secrets
// (the keys are files of their own, 0600).
const configFileMode fs.FileMode = 0o644
