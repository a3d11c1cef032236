// Package config reads and writes the config.yaml of a CHIA_ROOT
// directory in the reference implementation's format (chia-blockchain),
// and resolves the root directory itself.
//
// What it does:
//
//   - ResolveRoot finds the root: a flag, else $CHIA_ROOT, else
//     ~/.chia/mainnet, made absolute once.
//   - Load reads root/config/config.yaml into a Config: typed fields for the
//     keys chianet reads (selected_network, network_overrides,
//     self_hostname, daemon_port and the other daemon_ keys, the CA and
//     daemon certificate paths, logging, and the full_node, introducer
//     and seeder sections), each
//     named after its key. A key the file lacks takes the default of
//     chianet's template, which is the reference's. Load checks the values
//     with Validate, whose errors name the key at fault. Misspellings
//     lists the keys it ignored that are a letter or two away from one it
//     reads, likely typos, for a command to warn of.
//   - Default gives the configuration `chianet init` writes: chianet's own
//     template (default_config.yaml, embedded) with the reference's layout
//     and defaults for the sections chianet reads, and for ui, where the
//     reference's daemon clients look for the daemon.
//   - Save and Create write the file back atomically. The file is kept as
//     a YAML node tree beside the typed view, and only the keys whose
//     typed values changed are written into it, so every key chianet does
//     not know is kept. A file saved unchanged is written back byte for
//     byte; a file whose changes all replace existing scalars keeps every
//     other byte (comments, blank lines, anchors); anything else is
//     written from the tree, which keeps every key and anchor.
//   - Network resolves a network name: mainnet and testnet11 are built in
//     (default port, address prefix, genesis challenge, DNS introducers,
//     introducer); network_overrides may override their values and declare
//     more networks; the full_node section's dns_servers and
//     introducer_peer apply to the selected network. A name that is
//     neither built in nor declared is an *UnknownNetworkError listing the
//     known ones. A network that is not built in is private: it has no
//     bootstrap of its own and admits private addresses. PrivateNetwork
//     runs an undeclared name as a private network, for a command-line
//     flag that declares one (`chianet node --private`). The built-in
//     networks' facts here are chianet's only copy: package node and
//     package discovery take them from this package.
//
// YAML aliases are read as the reference reads them: a value written by
// Save replaces that key's value alone, and other keys that aliased the
// old value keep it, while a change inside a shared section (such as the
// network_overrides that the reference's template aliases into every
// service section) is seen through every alias.
//
// chianet reads network_overrides and logging at the top level; the
// reference's per-service copies of them are aliases of those in its
// template and in chianet's.
//
// What it does not do: it imports none of chianet's packages and starts
// nothing; turning a Config into a node, server or seeder configuration
// is the caller's job. It does not lock the file against concurrent
// writers (the reference takes config.yaml.lock for that), does not
// migrate old configurations, and does not create certificates (package
// chiatls does).
package config
