package addrman

import (
	crand "crypto/rand"
	"encoding/binary"
	"log/slog"
	"math/rand/v2"
	"time"
)

// Table geometry and limits, from the reference (chia/server/address_manager.py,
// itself a port of Bitcoin Core's addrman).
const (
	// NewBucketCount is the number of buckets of the new table.
	NewBucketCount = 1024
	// TriedBucketCount is the number of buckets of the tried table.
	TriedBucketCount = 256
	// BucketSize is the number of slots in a bucket of either table.
	BucketSize = 64
	// NewBucketsPerSourceGroup is how many new buckets the addresses one
	// source group tells us about can land in.
	NewBucketsPerSourceGroup = 64
	// TriedBucketsPerGroup is how many tried buckets the addresses of one
	// group can land in.
	TriedBucketsPerGroup = 8
	// NewBucketsPerAddress is the most new-table references one address
	// can hold (its ref count).
	NewBucketsPerAddress = 8
	// TriedCollisionSize is the most tried-table collisions kept waiting
	// for a test connection.
	TriedCollisionSize = 10

	// HorizonDays: an address not seen for longer is terrible.
	HorizonDays = 30
	// MaxRetries: an address that never succeeded is terrible after this
	// many counted failures.
	MaxRetries = 3
	// MinFailDays and MaxFailures: an address with no success for
	// MinFailDays is terrible after MaxFailures counted failures.
	MinFailDays = 7
	MaxFailures = 10
)

// Times from the reference address manager, named here once.
const (
	day = 24 * 60 * 60 // seconds

	// An address tried this recently is never terrible.
	terribleGraceSeconds = 60
	// A timestamp further than this in the future is terrible.
	futureSlackSeconds = 10 * 60
	// Add refreshes a known address's timestamp when the advertised one is
	// newer by more than an update interval: an hour for an address seen
	// in the last day, a day otherwise.
	onlineWindowSeconds    = day
	onlineIntervalSeconds  = 60 * 60
	offlineIntervalSeconds = day
	// Connect refreshes a timestamp older than this.
	connectIntervalSeconds = 20 * 60
	// Selection: an address tried this recently is 100 times less likely
	// to be picked; each counted failure multiplies the chance by 0.66, at
	// most 8 times.
	recentTrySeconds   = 10 * 60
	recentTryFactor    = 0.01
	failureFactor      = 0.66
	maxFailurePenalize = 8
	// Collision resolution: the old tried entry is kept if it succeeded
	// within 4 h; it is evicted if a test attempt (more than a minute old,
	// so the test has had its chance) failed within 4 h; the new entry wins
	// anyway once its own success is 40 min old.
	collisionKeepSeconds  = 4 * 60 * 60
	collisionGraceSeconds = 60
	collisionTestSeconds  = 40 * 60
)

// Values the discovery layer uses with the manager, named here so that
// both packages share them. The penalty and the save interval are from the
// reference's chia/server/node_discovery.py, the get_peers sizing from
// get_peers_ in chia/server/address_manager.py.
const (
	// GossipPenalty is the timestamp penalty of addresses a full node
	// relays in respond_peers.
	GossipPenalty = 2 * time.Hour
	// GetPeersFraction and GetPeersMax size the answer to request_peers:
	// 23% of the known addresses, at most 1000 (pass them to Sample).
	GetPeersFraction = 0.23
	GetPeersMax      = 1000
	// MinSaveInterval and MaxSaveInterval bound the random delay between
	// two periodic saves (Run).
	MinSaveInterval = 15 * time.Minute
	MaxSaveInterval = 30 * time.Minute
)

// Config holds the settings of a Manager. The zero Config is usable: every
// field has a default, applied by New and Load.
type Config struct {
	// Key is the secret that salts bucket and slot placement, so that a
	// remote peer cannot predict which addresses evict which. Zero means
	// draw one from Rand. Load uses the key stored in the file instead.
	Key [32]byte

	// AllowPrivate admits private, loopback, link-local, reserved and
	// multicast addresses (see IsPrivate), as the reference's
	// enable_private_networks does. For tests and devnets. False (the
	// default) rejects them in Add, and ignores them in Good and in files.
	AllowPrivate bool

	// Now returns the current time; the manager keeps whole Unix seconds.
	// Nil means time.Now.
	Now func() time.Time

	// Rand is the source of every random choice (selection, the stochastic
	// ref-count test, sampling, the save interval and a zero Key). The
	// manager uses it only under its lock, so it need not be safe for
	// concurrent use, but it must not be shared with other users. Nil means
	// a ChaCha8 generator seeded from crypto/rand.
	Rand *rand.Rand

	// Logger receives the import of a reference peers file, failed
	// periodic saves and table inconsistencies (Load returns a damaged
	// file's problems rather than logging them). Nil means discard.
	Logger *slog.Logger
}

// withDefaults returns a copy of c with every unset field defaulted and a
// zero Key drawn from the Rand.
func (c Config) withDefaults() Config {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.Rand == nil {
		var seed [32]byte
		_, _ = crand.Read(seed[:]) // crypto/rand.Read never fails
		c.Rand = rand.New(rand.NewChaCha8(seed))
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Key == ([32]byte{}) {
		c.Key = randomKey(c.Rand)
	}
	return c
}

func randomKey(r *rand.Rand) [32]byte {
	var k [32]byte
	for i := 0; i < len(k); i += 8 {
		binary.BigEndian.PutUint64(k[i:], r.Uint64())
	}
	return k
}
