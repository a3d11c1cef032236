// Package addrman is the address manager of a Chia node: the "new" and
// "tried" tables of peer addresses that discovery picks its outbound
// connections from, the bookkeeping of attempts and successes, and the
// peers file that keeps them across restarts.
//
// It follows the reference's chia/server/address_manager.py, itself a
// port of Bitcoin Core's CAddrMan, and places addresses exactly where the
// reference would under the same secret key (the placement tests pin
// numbers computed from the reference's formulas outside Go).
//
// # What it does not do
//
// It dials nobody, resolves no names and owns no sockets: it is pure state
// over an injected clock (Config.Now) and an injected generator
// (Config.Rand), so tests drive it deterministically. The discovery
// package decides whom to dial and when, and applies the rules that sit
// around the manager in the reference's node_discovery.py: replacing
// advertised timestamps below 100,000,000 or past now+10 min by now−5
// days, the per-message (1000) and per-peer (3000) caps, dropping other
// networks' default ports, one outbound connection per Group, feelers and
// their schedule, and the periodic Cleanup.
//
// # Tables
//
// The new table has NewBucketCount × BucketSize (1024 × 64) slots for
// addresses heard of but never connected to; the tried table has
// TriedBucketCount × BucketSize (256 × 64) for addresses we connected to.
// Placement hashes with SHA-256 over the secret key, the address's group
// (IPv4 /16, IPv6 /32), and for the new table the group of the peer that
// told us, so one source group reaches at most NewBucketsPerSourceGroup
// new buckets and one group at most TriedBucketsPerGroup tried buckets. An
// address may hold up to NewBucketsPerAddress new slots. A new slot that is
// taken goes to the newcomer only if the occupant is terrible, or holds
// other slots while the newcomer holds none; a taken tried slot starts a
// collision.
//
// How discovery drives it (reference call in brackets):
//
//	event                                  call
//	respond_peers from a full node         Add(peers, sender, GossipPenalty)        [add_to_new_table]
//	DNS or introducer results (ts 0)       Add(peers, PeerInfo{}, 0)
//	inbound full node                      Add([it, now], it, 0)
//	pick an outbound or feeler address     Select(newOnly)                          [select_peer]
//	connected                              Good(addr, true, t); Connect(addr, t)    [mark_good, connect]
//	duplicate or self connection           Attempt(addr, false, t)                  [attempt]
//	failed                                 Attempt(addr, true, t)
//	message from an outbound full node     Connect(addr, t), at most every 10 min
//	each connect-loop round                ResolveCollisions; SelectTriedCollision to test
//	request_peers                          Sample(GetPeersFraction, GetPeersMax)    [get_peers]
//
// An address is terrible (never gossiped, first to be replaced) unless it
// was tried in the last minute, if its timestamp is more than 10 minutes
// ahead, it is unseen (timestamp 0) or older than HorizonDays, it failed
// MaxRetries times without ever succeeding, or it failed MaxFailures times
// with no success for MinFailDays.
//
// A Manager is safe for concurrent use: every method takes its one mutex.
//
// # Persistence
//
// Save writes the peers file atomically (a temporary file in the same
// directory, fsync, rename, then a sync of the directory), so a failed or
// interrupted save leaves the previous file whole. Run saves after a random
// 15–30 minutes, again and again, and once more when its context ends,
// which is the shutdown save the reference lacks. Load never fails to
// return a manager: a truncated, bit-flipped or inconsistent file yields
// every address that could be restored plus a *DamageError that says what
// was lost and where.
//
// The format is chianet's own (version 1, described in persist.go): a
// 64-byte header (magic, version, record size, key, last-good time,
// record count, CRC-32C) and one fixed-size 96-byte record per address
// (tried flag, collision queue position, address, source, new buckets,
// timestamp, last success, last try, last counted attempt, failures,
// CRC-32C). Both tables, every field and the collision queue survive a
// save and load exactly; a damaged record costs only itself. A damaged
// header costs the key: the records are then placed afresh under a new
// one.
//
// Save writes a temporary file next to the peers file and renames it
// over the old one, so a process killed mid-save keeps its previous file;
// the next Load removes the temporary file such a kill leaves behind.
// Load refuses a path that is not a regular file (a directory, a named
// pipe, a device) without opening it for reading.
//
// The reference loses tried entries: its writer interleaves new and tried
// records while its reader takes the first N as new, so after one round
// trip the tried table is scrambled, and its format holds neither the
// attempt history nor the collision queue. It also never saves on
// shutdown. Load still imports a reference binary peers.dat, keeping its
// key and putting every address in the new table, since which were tried
// cannot be trusted; the older Streamable format is not read.
//
// # Decisions
//
// Where the reference behaves in a way a port must decide on (the
// discovery spec's list of such behaviours), chianet chose:
//
//   - Entries are keyed by IP and port, not by IP alone. In the reference a
//     peer that moves to another port can never be recorded under it, and
//     Good/Attempt/Connect on that port do nothing. Bitcoin Core made the
//     same change (bitcoin/bitcoin#23306); the bucket limits work on
//     groups, so many ports of one IP gain an attacker nothing that many
//     IPv6 addresses would not.
//   - Re-advertised addresses follow Bitcoin Core, not the reference. The
//     stored timestamp only moves forward, when the advertised one is newer
//     by more than the update interval (1 h for an address seen in the
//     last day, 24 h otherwise) plus the penalty; the reference overwrites
//     it with any positive advertisement, older ones included. A known
//     address may gain another new-table reference with probability
//     1/2^refs, which the reference never lets happen. The penalty is
//     waived for a source announcing itself, where the reference waives it
//     for every re-advertisement.
//   - DNS and introducer addresses keep timestamp 0, as in the reference:
//     they are terrible until a connection succeeds and Connect stamps
//     them, so they are never gossiped and give way to addresses with a
//     known age. Selection ignores terribleness, so a node with nothing
//     else still dials them.
//   - Save, Run and the format above replace the reference's lossy,
//     interleaved file; both tables and all metadata are kept.
//
// Other differences, none visible on the network: Select draws uniformly
// among occupied slots instead of probing random slots; Good and the move
// to tried use each address's list of new buckets instead of scanning all
// 1024; IPv4-mapped IPv6 addresses are stored as IPv4; Add does not count
// a new address it had to drop at once for want of a free slot (the
// reference reports it as added); SelectTriedCollision returns nothing when the contested slot has
// been freed (the reference raises an exception); the list of refused
// networks is pinned (IsPrivate: CPython 3.11.7's is_private plus
// multicast) instead of following the Python version.
package addrman
