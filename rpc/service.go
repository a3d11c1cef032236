package rpc

import (
	"context"
	"net/netip"
	"time"

	"github.com/chianet/chianet/protocol"
)

// Service is what the routes every service shares (get_connections,
// open_connection, …) need of the service. The rpc package holds no state
// of its own about the node: every answer comes from these calls.
//
// Implementations must be safe for concurrent use: every request is
// served on a goroutine of its own.
type Service interface {
	// NetworkInfo returns the network the service runs on.
	NetworkInfo() NetworkInfo
	// Connections describes every live connection, in a new slice that
	// the caller may change (get_connections filters it in place).
	Connections() []Connection
	// OpenConnection dials a peer at host:port and returns once it is
	// connected, or why it is not.
	OpenConnection(ctx context.Context, host string, port uint16) error
	// CloseConnection closes the connection to the peer with nodeID.
	CloseConnection(ctx context.Context, nodeID protocol.Bytes32) error
	// Stop begins the service's shutdown and returns at once: stop_node
	// answers after calling it, and the shutdown will close the RPC
	// server that is serving the call.
	Stop()
}

// BanList is the ban list of a service that keeps one: the list_bans, ban
// and unban routes, a chianet extension.
type BanList interface {
	// Bans returns the ban list.
	Bans() []Ban
	// Ban refuses ip for d, reporting whether the ban was recorded (a
	// service may refuse to ban e.g. localhost).
	Ban(ip netip.Addr, d time.Duration) bool
	// Unban lifts the ban of ip, reporting whether there was one.
	Unban(ip netip.Addr) bool
}

// FullNode is what the full node's routes need of the node. A node that
// keeps no chain answers from what its peers announce and send; it must
// never make up a value it does not have (it answers the BlockchainState
// of a node without a chain; see also BlockRecord), and it returns an
// *Error (e.g. HeightNotFound, BlockNotFound) when it knows which
// reference error applies.
type FullNode interface {
	Service
	BanList
	// BlockchainState returns get_blockchain_state's blockchain_state.
	BlockchainState(ctx context.Context) (BlockchainState, error)
	// BlockRecordByHeight returns the record of the block at height on
	// the chain of the peak, or HeightNotFound for a height above it.
	BlockRecordByHeight(ctx context.Context, height uint32) (BlockRecord, error)
	// Block returns the block with headerHash, or BlockNotFound.
	Block(ctx context.Context, headerHash protocol.Bytes32) (*protocol.FullBlock, error)
	// Blocks returns the blocks at heights start to end-1 of the chain
	// of the peak, in height order. excludeReorged asks a node that also
	// keeps blocks off that chain to leave them out.
	Blocks(ctx context.Context, start, end uint32, excludeReorged bool) ([]*protocol.FullBlock, error)
	// Subscribe calls fn for every later change until cancel is called.
	// fn must not block: it is called from the node's own goroutines.
	Subscribe(fn func(Change)) (cancel func())
}
