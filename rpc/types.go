package rpc

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strconv"
	"time"

	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/streamable"
)

// NetworkInfo is what get_network_info answers, from config.yaml in the
// reference: the selected network, its address prefix and its genesis
// challenge.
type NetworkInfo struct {
	// NetworkName is "network_name": the selected network, e.g.
	// "mainnet".
	NetworkName string `json:"network_name"`
	// NetworkPrefix is "network_prefix": the address prefix, "xch" or
	// "txch".
	NetworkPrefix string `json:"network_prefix"`
	// GenesisChallenge is "genesis_challenge": hex as config.yaml holds
	// it (the reference passes it through unchanged, without "0x").
	GenesisChallenge string `json:"genesis_challenge"`
	// AggSigMeAdditionalData is not part of get_network_info's answer:
	// it is the network's AGG_SIG_ME_ADDITIONAL_DATA in lowercase hex
	// without "0x", which the full node's get_aggsig_additional_data
	// answers. Empty when unknown; that route then fails.
	AggSigMeAdditionalData string `json:"-"`
}

// Peak is the peak a peer announced (new_peak), as get_connections
// reports it per connection.
type Peak struct {
	// Height is "peak_height".
	Height uint32
	// Weight is "peak_weight", a bare JSON integer.
	Weight streamable.Uint128
	// HeaderHash is "peak_hash", "0x" + hex.
	HeaderHash protocol.Bytes32
}

// Connection is one element of get_connections' "connections", with the
// fields of the reference full node's get_connections.
type Connection struct {
	// NodeType is "type", the peer's node type as an integer.
	NodeType protocol.NodeType
	// LocalPort is "local_port": our server port, as the reference
	// reports it for both directions.
	LocalPort uint16
	// PeerHost is "peer_host": the IP of the peer's socket.
	PeerHost netip.Addr
	// PeerPort is "peer_port": the port of the peer's socket.
	PeerPort uint16
	// PeerServerPort is "peer_server_port": the port the peer's
	// handshake announced.
	PeerServerPort uint16
	// NodeID is "node_id", "0x" + hex.
	NodeID protocol.Bytes32
	// CreationTime is "creation_time", unix seconds as a float.
	CreationTime time.Time
	// BytesRead and BytesWritten are "bytes_read" and "bytes_written".
	BytesRead, BytesWritten uint64
	// LastMessageTime is "last_message_time", unix seconds as a float;
	// 0 (the zero Time) before any message arrived.
	LastMessageTime time.Time
	// Peak is the peer's latest announced peak: "peak_height",
	// "peak_weight" and "peak_hash", each null when Peak is nil.
	Peak *Peak
}

// connectionJSON is the form Connection's JSON is decoded through.
type connectionJSON struct {
	Type            *uint8   `json:"type"`
	LocalPort       *uint16  `json:"local_port"`
	PeerHost        string   `json:"peer_host"`
	PeerPort        uint16   `json:"peer_port"`
	PeerServerPort  *uint16  `json:"peer_server_port"`
	NodeID          hash32   `json:"node_id"`
	CreationTime    unixTime `json:"creation_time"`
	BytesRead       uint64   `json:"bytes_read"`
	BytesWritten    uint64   `json:"bytes_written"`
	LastMessageTime unixTime `json:"last_message_time"`
	PeakHeight      *uint32  `json:"peak_height"`
	PeakWeight      *uint128 `json:"peak_weight"`
	PeakHash        *hash32  `json:"peak_hash"`
}

// MarshalJSON writes the reference's field names, sorted.
func (c Connection) MarshalJSON() ([]byte, error) { return c.appendJSON(nil), nil }

// appendJSON writes the fields in sorted key order, directly: with 100
// connections this is most of get_connections' answer.
func (c Connection) appendJSON(b []byte) []byte {
	b = append(b, `{"bytes_read":`...)
	b = strconv.AppendUint(b, c.BytesRead, 10)
	b = append(b, `,"bytes_written":`...)
	b = strconv.AppendUint(b, c.BytesWritten, 10)
	b = append(b, `,"creation_time":`...)
	b = unixTime(c.CreationTime).appendJSON(b)
	b = append(b, `,"last_message_time":`...)
	b = unixTime(c.LastMessageTime).appendJSON(b)
	b = append(b, `,"local_port":`...)
	b = strconv.AppendUint(b, uint64(c.LocalPort), 10)
	b = append(b, `,"node_id":`...)
	b = hash32(c.NodeID).appendJSON(b)
	if p := c.Peak; p != nil {
		b = append(b, `,"peak_hash":`...)
		b = hash32(p.HeaderHash).appendJSON(b)
		b = append(b, `,"peak_height":`...)
		b = strconv.AppendUint(b, uint64(p.Height), 10)
		b = append(b, `,"peak_weight":`...)
		b = uint128(p.Weight).appendJSON(b)
	} else {
		b = append(b, `,"peak_hash":null,"peak_height":null,"peak_weight":null`...)
	}
	b = append(b, `,"peer_host":`...)
	switch h := c.PeerHost.Unmap(); {
	case !h.IsValid():
		b = append(b, `""`...)
	case h.Zone() == "":
		// Digits, dots and colons: nothing to escape.
		b = append(b, '"')
		b = h.AppendTo(b)
		b = append(b, '"')
	default:
		b = appendString(b, h.String())
	}
	b = append(b, `,"peer_port":`...)
	b = strconv.AppendUint(b, uint64(c.PeerPort), 10)
	b = append(b, `,"peer_server_port":`...)
	b = strconv.AppendUint(b, uint64(c.PeerServerPort), 10)
	b = append(b, `,"type":`...)
	b = strconv.AppendUint(b, uint64(c.NodeType), 10)
	return append(b, '}')
}

// UnmarshalJSON reads the reference's field names; nulls read as zero.
func (c *Connection) UnmarshalJSON(b []byte) error {
	var j connectionJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*c = Connection{
		PeerPort:        j.PeerPort,
		NodeID:          protocol.Bytes32(j.NodeID),
		CreationTime:    time.Time(j.CreationTime),
		BytesRead:       j.BytesRead,
		BytesWritten:    j.BytesWritten,
		LastMessageTime: time.Time(j.LastMessageTime),
	}
	if j.Type != nil {
		c.NodeType = protocol.NodeType(*j.Type)
	}
	if j.LocalPort != nil {
		c.LocalPort = *j.LocalPort
	}
	if j.PeerServerPort != nil {
		c.PeerServerPort = *j.PeerServerPort
	}
	if j.PeerHost != "" {
		a, err := netip.ParseAddr(j.PeerHost)
		if err != nil {
			return fmt.Errorf("peer_host: %w", err)
		}
		c.PeerHost = a
	}
	if j.PeakHeight != nil {
		c.Peak = &Peak{Height: *j.PeakHeight}
		if j.PeakWeight != nil {
			c.Peak.Weight = streamable.Uint128(*j.PeakWeight)
		}
		if j.PeakHash != nil {
			c.Peak.HeaderHash = protocol.Bytes32(*j.PeakHash)
		}
	}
	return nil
}

// SyncState is blockchain_state.sync.
type SyncState struct {
	// SyncMode is "sync_mode": the node is catching up with the chain.
	SyncMode bool `json:"sync_mode"`
	// Synced is "synced": the node holds the chain up to the peak and
	// has a full-node peer.
	Synced bool `json:"synced"`
	// SyncTipHeight is "sync_tip_height": the height being synced to.
	// chianet gives the height of the heaviest peak a connected full
	// node announced (0 when none), the peak a syncing node would sync
	// to.
	SyncTipHeight uint32 `json:"sync_tip_height"`
	// SyncProgressHeight is "sync_progress_height": the height reached.
	SyncProgressHeight uint32 `json:"sync_progress_height"`
}

// BlockchainState is get_blockchain_state's "blockchain_state", with
// every field of the reference's answer. Its zero value with NodeID set is
// the reference's answer for a full node that has no chain loaded: peak
// null, genesis_challenge_initialized false, every number 0,
// average_block_time null, mempool_min_fees {cost_5000000: 0} and no
// mempool_fees key. chianet keeps no chain, so it answers that, with
// Sync.SyncTipHeight the heaviest peak a peer announced; a client reading
// a reference node that has a chain gets every field.
type BlockchainState struct {
	// Peak is "peak": the peak block's record, null when there is none.
	Peak BlockRecord
	// GenesisChallengeInitialized is "genesis_challenge_initialized":
	// the node has its chain loaded.
	GenesisChallengeInitialized bool
	// Sync is "sync".
	Sync SyncState
	// Difficulty is "difficulty", the peak's difficulty.
	Difficulty uint64
	// SubSlotIters is "sub_slot_iters", the peak's sub-slot iterations.
	SubSlotIters uint64
	// Space is "space", the estimated network space in bytes.
	Space streamable.Uint128
	// AverageBlockTime is "average_block_time" in seconds; nil (null)
	// when the node cannot tell.
	AverageBlockTime *uint32
	// MempoolSize is "mempool_size", the number of mempool items.
	MempoolSize uint64
	// MempoolCost is "mempool_cost", the mempool items' total cost.
	MempoolCost uint64
	// MempoolFees is "mempool_fees", the mempool items' total fees; nil
	// when the key is absent, as in a node without a chain's answer.
	MempoolFees *uint64
	// MempoolMinFees is "mempool_min_fees".
	MempoolMinFees MempoolMinFees
	// MempoolMaxTotalCost is "mempool_max_total_cost".
	MempoolMaxTotalCost uint64
	// BlockMaxCost is "block_max_cost", the network's
	// MAX_BLOCK_COST_CLVM (0 without a chain).
	BlockMaxCost uint64
	// NodeID is "node_id": our node id, hex without "0x" as the
	// reference writes it.
	NodeID protocol.Bytes32
}

// MempoolMinFees is blockchain_state.mempool_min_fees.
type MempoolMinFees struct {
	// Cost5000000 is "cost_5000000": the minimum fee rate (mojos per
	// cost) for an item of cost 5,000,000 to enter the mempool.
	Cost5000000 float64 `json:"cost_5000000"`
}

type blockchainStateJSON struct {
	Peak                        BlockRecord    `json:"peak"`
	GenesisChallengeInitialized bool           `json:"genesis_challenge_initialized"`
	Sync                        SyncState      `json:"sync"`
	Difficulty                  uint64         `json:"difficulty"`
	SubSlotIters                uint64         `json:"sub_slot_iters"`
	Space                       uint128        `json:"space"`
	AverageBlockTime            *uint32        `json:"average_block_time"`
	MempoolSize                 uint64         `json:"mempool_size"`
	MempoolCost                 uint64         `json:"mempool_cost"`
	MempoolFees                 *uint64        `json:"mempool_fees,omitempty"`
	MempoolMinFees              MempoolMinFees `json:"mempool_min_fees"`
	MempoolMaxTotalCost         uint64         `json:"mempool_max_total_cost"`
	BlockMaxCost                uint64         `json:"block_max_cost"`
	NodeID                      bareHash32     `json:"node_id"`
}

// MarshalJSON writes the reference's field names; mempool_fees only when
// MempoolFees is set.
func (s BlockchainState) MarshalJSON() ([]byte, error) {
	return json.Marshal(blockchainStateJSON{
		Peak:                        s.Peak,
		GenesisChallengeInitialized: s.GenesisChallengeInitialized,
		Sync:                        s.Sync,
		Difficulty:                  s.Difficulty,
		SubSlotIters:                s.SubSlotIters,
		Space:                       uint128(s.Space),
		AverageBlockTime:            s.AverageBlockTime,
		MempoolSize:                 s.MempoolSize,
		MempoolCost:                 s.MempoolCost,
		MempoolFees:                 s.MempoolFees,
		MempoolMinFees:              s.MempoolMinFees,
		MempoolMaxTotalCost:         s.MempoolMaxTotalCost,
		BlockMaxCost:                s.BlockMaxCost,
		NodeID:                      bareHash32(s.NodeID),
	})
}

// UnmarshalJSON reads the reference's field names.
func (s *BlockchainState) UnmarshalJSON(b []byte) error {
	var j blockchainStateJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*s = BlockchainState{
		Peak:                        j.Peak,
		GenesisChallengeInitialized: j.GenesisChallengeInitialized,
		Sync:                        j.Sync,
		Difficulty:                  j.Difficulty,
		SubSlotIters:                j.SubSlotIters,
		Space:                       streamable.Uint128(j.Space),
		AverageBlockTime:            j.AverageBlockTime,
		MempoolSize:                 j.MempoolSize,
		MempoolCost:                 j.MempoolCost,
		MempoolFees:                 j.MempoolFees,
		MempoolMinFees:              j.MempoolMinFees,
		MempoolMaxTotalCost:         j.MempoolMaxTotalCost,
		BlockMaxCost:                j.BlockMaxCost,
		NodeID:                      protocol.Bytes32(j.NodeID),
	}
	return nil
}

// Ban is one entry of the ban list (list_bans, a chianet extension).
type Ban struct {
	// IP is "ip", the banned address.
	IP netip.Addr
	// Until is "until", when the ban ends, in unix seconds as a float.
	Until time.Time
}

type banJSON struct {
	IP    string   `json:"ip"`
	Until unixTime `json:"until"`
}

// MarshalJSON writes {"ip": ..., "until": ...}.
func (b Ban) MarshalJSON() ([]byte, error) {
	return json.Marshal(banJSON{IP: b.IP.Unmap().String(), Until: unixTime(b.Until)})
}

// UnmarshalJSON reads {"ip": ..., "until": ...}.
func (b *Ban) UnmarshalJSON(data []byte) error {
	var j banJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	ip, err := netip.ParseAddr(j.IP)
	if err != nil {
		return fmt.Errorf("ip: %w", err)
	}
	*b = Ban{IP: ip, Until: time.Time(j.Until)}
	return nil
}

// Change says what changed in a service, for the daemon's state-change
// notifications (see NotifyFullNode).
type Change uint8

const (
	// ConnectionsChanged: a connection opened or closed (the reference's
	// add_connection and close_connection).
	ConnectionsChanged Change = iota + 1
	// PeerPeakChanged: a peer announced a new peak, which changes
	// get_connections' peak fields (the reference's peer_changed_peak).
	PeerPeakChanged
	// PeakChanged: the peak get_blockchain_state reports changed (the
	// reference's new_peak); for chianet, the heaviest peak a peer
	// announced, whose height is sync_tip_height.
	PeakChanged
)

// String names the change as the reference's state_changed does.
func (c Change) String() string {
	switch c {
	case ConnectionsChanged:
		return "add_connection/close_connection"
	case PeerPeakChanged:
		return "peer_changed_peak"
	case PeakChanged:
		return "new_peak"
	default:
		return fmt.Sprintf("Change(%d)", uint8(c))
	}
}
