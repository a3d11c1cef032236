package server

import (
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

// conn is the Server's record of one connection. Its fields are guarded
// by Server.mu.
type conn struct {
	p    *peer.Peer // set when registered
	info peer.Info
	// closed is set by the connection's OnClose; a dialled connection
	// that closes before Dial registers it is never registered.
	closed bool
	// connected is when it was registered (Config.Now).
	connected time.Time
	// lastUseful is when the peer last sent a useful message
	// (usefulTypes); zero if never.
	lastUseful time.Time
	// evicted is set when the connection is being closed to make room
	// for a newcomer: it no longer counts against the inbound limits.
	evicted bool
}

// register adds the connection p (handshake done, limits passed) to the
// registry, closing an older connection with the same node id (the
// reference's connection_added), and emits Connected. s.mu is held.
func (s *Server) register(c *conn, p *peer.Peer) {
	info := p.Info()
	c.p, c.info, c.connected = p, info, s.cfg.Now()
	s.conns[p] = c
	if old := s.byID[info.NodeID]; old != nil && old != c {
		s.log.Debug("replacing connection with the same node id", "node_id", info.NodeID,
			"old", old.info.RemoteAddr, "new", info.RemoteAddr)
		s.unregisterLocked(old)
		old.p.Close(peer.NormalClose(ErrReplaced))
	}
	s.byID[info.NodeID] = c
	if c.takesSlot() {
		s.inbound[info.NodeType]++
	}
	s.log.Debug("connection added", "peer", info.RemoteAddr, "node_id", info.NodeID,
		"node_type", info.NodeType, "outbound", info.Outbound)
	s.emit(Event{Type: Connected, Peer: p, Info: info})
}

// takesSlot reports whether c, once registered, counts against the
// inbound limits: accepted and not being evicted. Server.mu is held.
func (c *conn) takesSlot() bool { return !c.info.Outbound && !c.evicted }

// unregisterLocked takes c, the registered connection of its node id, out
// of byID and of the inbound counts. s.mu is held.
func (s *Server) unregisterLocked(c *conn) {
	delete(s.byID, c.info.NodeID)
	if c.takesSlot() {
		s.inbound[c.info.NodeType]--
	}
}

// checkInbound applies the reference's should_accept_inbound to a peer
// that has completed its handshake. When the inbound full-node slots are
// taken, it returns the connection to evict for a full-node newcomer
// instead of an error if the eviction rule finds one (selectEviction).
// s.mu is held.
func (s *Server) checkInbound(info peer.Info) (evict *conn, err error) {
	if s.cfg.NodeType != protocol.NodeFullNode {
		return nil, nil
	}
	ip := info.RemoteAddr.Addr()
	if inNetworks(ip, s.cfg.ExemptNetworks) {
		return nil, nil
	}
	if info.NodeType == protocol.NodeTimelord && s.cfg.isLocalhost(ip) {
		return nil, nil
	}
	var limit int
	switch info.NodeType {
	case protocol.NodeFullNode:
		limit = s.cfg.inboundFullNodeLimit()
	case protocol.NodeWallet:
		limit = s.cfg.MaxInboundWallet
	case protocol.NodeFarmer:
		limit = s.cfg.MaxInboundFarmer
	default:
		return nil, fmt.Errorf("%w: %v peers are not accepted", ErrInboundLimit, info.NodeType)
	}
	// A connection this one is about to replace does not count, nor one
	// being evicted (s.inbound leaves those out).
	n := s.inbound[info.NodeType]
	if old := s.byID[info.NodeID]; old != nil && old.takesSlot() && old.info.NodeType == info.NodeType {
		n--
	}
	if n < limit {
		return nil, nil
	}
	if info.NodeType == protocol.NodeFullNode && !s.cfg.NoEviction {
		if v := s.evictFor(info); v != nil {
			return v, nil
		}
	}
	return nil, fmt.Errorf("%w: %d inbound %v peers (limit %d)", ErrInboundLimit, n, info.NodeType, limit)
}

// Peers returns the registered connections, one per node id, sorted by
// node id.
func (s *Server) Peers() []*peer.Peer {
	s.mu.Lock()
	cs := s.registeredLocked()
	s.mu.Unlock()
	sortByNodeID(cs)
	out := make([]*peer.Peer, len(cs))
	for i, c := range cs {
		out[i] = c.p
	}
	return out
}

// Peer returns the registered connection of node id, if any.
func (s *Server) Peer(id protocol.Bytes32) (*peer.Peer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.byID[id]
	if !ok {
		return nil, false
	}
	return c.p, true
}

// registeredLocked returns the registered connections, in no order. s.mu
// is held.
func (s *Server) registeredLocked() []*conn {
	cs := make([]*conn, 0, len(s.byID))
	for _, c := range s.byID {
		cs = append(cs, c)
	}
	return cs
}

// sortByNodeID sorts cs by node id. It reads only fields that never
// change once a connection is registered, so s.mu need not be held: with
// thousands of connections the sort would hold up every accept.
func sortByNodeID(cs []*conn) {
	slices.SortFunc(cs, func(a, b *conn) int {
		return slices.Compare(a.info.NodeID[:], b.info.NodeID[:])
	})
}

// InboundCount returns how many registered connections were accepted from
// peers of node type t; t == 0 counts every type.
func (s *Server) InboundCount(t protocol.NodeType) int { return s.count(t, false) }

// OutboundCount returns how many registered connections we dialled to
// peers of node type t; t == 0 counts every type.
func (s *Server) OutboundCount(t protocol.NodeType) int { return s.count(t, true) }

func (s *Server) count(t protocol.NodeType, outbound bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.byID {
		if c.info.Outbound == outbound && (t == 0 || c.info.NodeType == t) {
			n++
		}
	}
	return n
}

// ConnectionInfo describes one connection with every field of the
// reference's get_connections RPC (rpc-and-types spec §1.4), plus the
// peer's full Info and Stats.
type ConnectionInfo struct {
	// NodeType is the peer's node type ("type").
	NodeType protocol.NodeType
	// LocalPort is our server port as the reference reports it
	// ("local_port"): the listener's port for both directions, 0 without
	// a listener.
	LocalPort uint16
	// PeerHost is the IP of the peer's socket ("peer_host").
	PeerHost netip.Addr
	// PeerPort is the port of the peer's socket ("peer_port"): the
	// peer's listening port when we dialled it, an ephemeral port when it
	// dialled us.
	PeerPort uint16
	// PeerServerPort is the server_port of the peer's handshake
	// ("peer_server_port"); 0 when it accepts no connections.
	PeerServerPort uint16
	// NodeID is the peer's node id ("node_id").
	NodeID protocol.Bytes32
	// CreationTime is when the connection was set up ("creation_time").
	CreationTime time.Time
	// BytesRead and BytesWritten count the connection's WebSocket
	// messages, handshake included ("bytes_read", "bytes_written").
	BytesRead, BytesWritten uint64
	// LastMessageTime is when the last message arrived
	// ("last_message_time"); the zero Time if none has.
	LastMessageTime time.Time
	// Outbound is set when we dialled the peer.
	Outbound bool
	// Info is everything the handshake told about the peer.
	Info peer.Info
	// Stats are the connection's counters at the time of the snapshot.
	Stats peer.Stats
}

// Snapshot describes every registered connection, sorted by node id.
func (s *Server) Snapshot() []ConnectionInfo {
	s.mu.Lock()
	cs := s.registeredLocked()
	local := s.addr.Port()
	s.mu.Unlock()
	sortByNodeID(cs)
	out := make([]ConnectionInfo, len(cs))
	for i, c := range cs {
		st := c.p.Stats()
		out[i] = ConnectionInfo{
			NodeType:        c.info.NodeType,
			LocalPort:       local,
			PeerHost:        c.info.RemoteAddr.Addr(),
			PeerPort:        c.info.RemoteAddr.Port(),
			PeerServerPort:  c.info.ServerPort,
			NodeID:          c.info.NodeID,
			CreationTime:    st.Created,
			BytesRead:       st.BytesRead,
			BytesWritten:    st.BytesWritten,
			LastMessageTime: st.LastMessage,
			Outbound:        c.info.Outbound,
			Info:            c.info,
			Stats:           st,
		}
	}
	return out
}
