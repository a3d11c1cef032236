package server

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/chianet/chianet/addrman"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

// usefulTypes are the messages that count as a peer being useful: the
// announcements a full node relays of new chain data and transactions.
// The Server cannot check that an announcement is new or valid (it has
// no chain), so this is a claim the peer makes; it earns protection from
// eviction for only the few most recent (protectedUseful).
var usefulTypes = [...]protocol.MessageType{
	protocol.MsgNewPeak,
	protocol.MsgNewTransaction,
	protocol.MsgNewUnfinishedBlock,
	protocol.MsgNewUnfinishedBlock2,
	protocol.MsgNewSignagePointOrEndOfSubSlot,
	protocol.MsgNewCompactVDF,
}

// isUseful reports whether t is one of usefulTypes.
func isUseful(t protocol.MessageType) bool {
	return slices.Contains(usefulTypes[:], t)
}

// markUseful wraps the handler h of a useful message type so that the
// time of the message is recorded on the connection before h runs.
func (s *Server) markUseful(h peer.HandlerFunc) peer.HandlerFunc {
	return func(ctx context.Context, p *peer.Peer, m protocol.Message) (*protocol.Message, error) {
		s.mu.Lock()
		if c := s.conns[p]; c != nil {
			c.lastUseful = s.cfg.Now()
		}
		s.mu.Unlock()
		return h(ctx, p, m)
	}
}

// protectedUseful and protectedOldest are how many eligible connections
// the eviction rule protects, out of limit inbound full-node slots: an
// eighth (4 of 32) by most recent useful message, then a quarter (8 of
// 32) by longest connection.
func protectedUseful(limit int) int { return limit / 8 }
func protectedOldest(limit int) int { return limit / 4 }

// evictCandidate is one registered full-node connection as the eviction
// rule sees it.
type evictCandidate struct {
	nodeID protocol.Bytes32
	group  addrman.Group
	// connected is when the connection joined the registry (Config.Now).
	connected time.Time
	// lastUseful is when the peer last sent a useful message (usefulTypes);
	// zero if never.
	lastUseful time.Time
	// outbound connections take no inbound slot: they are neither counted
	// nor evicted. Trusted and exempt ones are counted in their group but
	// never evicted.
	outbound, trusted, exempt bool
}

// selectEviction applies the eviction rule to the registered full-node
// connections cands for a newcomer from group newcomer, all inbound slots
// being taken. It returns the index of the connection to evict, or -1 if
// the newcomer is to be refused. The result depends only on the
// arguments.
//
// The rule, adapted from Bitcoin Core's inbound eviction:
//
//  1. Outbound, trusted and exempt connections are never evicted.
//  2. Of the rest, the protectUseful that most recently sent a useful
//     message (never-useful ones are not protected this way), then the
//     protectOldest longest connected, are protected.
//  3. The remaining connections are grouped by address group. The
//     victim's group is the one with the most inbound connections
//     (protected, trusted and exempt ones count), on a tie the one whose
//     newest evictable connection is newest.
//  4. The newcomer is admitted only if its group stays no larger than the
//     victim's after the swap: it must have at least two fewer inbound
//     connections than the victim's group. So a crowded group makes way
//     for a less-represented one, and two groups of equal size never
//     trade places back and forth.
//  5. The victim is the newest connection of its group.
//
// Ties on time are broken by node id.
func selectEviction(cands []evictCandidate, newcomer addrman.Group, protectUseful, protectOldest int) int {
	total := make(map[addrman.Group]int)
	var eligible []int
	for i, c := range cands {
		if c.outbound {
			continue
		}
		total[c.group]++
		if !c.trusted && !c.exempt {
			eligible = append(eligible, i)
		}
	}
	byID := func(a, b int) int { return bytes.Compare(cands[a].nodeID[:], cands[b].nodeID[:]) }

	// Most recently useful first.
	slices.SortFunc(eligible, func(a, b int) int {
		if c := cands[b].lastUseful.Compare(cands[a].lastUseful); c != 0 {
			return c
		}
		if c := cands[a].connected.Compare(cands[b].connected); c != 0 {
			return c
		}
		return byID(a, b)
	})
	n := 0
	for n < len(eligible) && n < protectUseful && !cands[eligible[n]].lastUseful.IsZero() {
		n++
	}
	eligible = eligible[n:]

	// Longest connected first.
	slices.SortFunc(eligible, func(a, b int) int {
		if c := cands[a].connected.Compare(cands[b].connected); c != 0 {
			return c
		}
		return byID(a, b)
	})
	eligible = eligible[min(protectOldest, len(eligible)):]
	if len(eligible) == 0 {
		return -1
	}

	// The newest evictable connection of each group; eligible is sorted
	// oldest first.
	newest := make(map[addrman.Group]int)
	for _, i := range eligible {
		newest[cands[i].group] = i
	}
	victim := -1
	for g, i := range newest {
		if victim < 0 {
			victim = i
			continue
		}
		vg := cands[victim].group
		switch c := cmp.Compare(total[g], total[vg]); {
		case c > 0:
			victim = i
		case c < 0:
		case cands[i].connected.After(cands[victim].connected):
			victim = i
		case cands[i].connected.Equal(cands[victim].connected) && byID(i, victim) > 0:
			victim = i
		}
	}
	if total[newcomer]+2 > total[cands[victim].group] {
		return -1
	}
	return victim
}

// evictFor picks the connection to evict so that the full node with
// Info info can take its slot, or returns nil. s.mu is held.
func (s *Server) evictFor(info peer.Info) *conn {
	limit := s.cfg.inboundFullNodeLimit()
	var conns []*conn
	var cands []evictCandidate
	for id, c := range s.byID {
		if c.evicted || c.info.NodeType != protocol.NodeFullNode || id == info.NodeID {
			continue
		}
		ip := c.info.RemoteAddr.Addr()
		conns = append(conns, c)
		cands = append(cands, evictCandidate{
			nodeID:     id,
			group:      addrman.GroupOf(ip),
			connected:  c.connected,
			lastUseful: c.lastUseful,
			outbound:   c.info.Outbound,
			trusted:    s.trustedID(id) || inNetworks(ip, s.cfg.TrustedNetworks),
			exempt:     c.info.Exempt || inNetworks(ip, s.cfg.ExemptNetworks),
		})
	}
	i := selectEviction(cands, addrman.GroupOf(info.RemoteAddr.Addr()), protectedUseful(limit), protectedOldest(limit))
	if i < 0 {
		return nil
	}
	return conns[i]
}

// evict closes the inbound connection v (1000, no ban) to make room for
// the full node with Info info, logging why. s.mu is held.
func (s *Server) evict(v *conn, info peer.Info) {
	if s.byID[v.info.NodeID] == v && v.takesSlot() {
		s.inbound[v.info.NodeType]--
	}
	v.evicted = true
	vg := addrman.GroupOf(v.info.RemoteAddr.Addr())
	ng := addrman.GroupOf(info.RemoteAddr.Addr())
	vn, nn := 0, 0
	for _, c := range s.byID {
		if (c.evicted && c != v) || c.info.Outbound || c.info.NodeType != protocol.NodeFullNode ||
			c.info.NodeID == info.NodeID {
			continue
		}
		switch addrman.GroupOf(c.info.RemoteAddr.Addr()) {
		case vg:
			vn++
		case ng:
			nn++
		}
	}
	s.log.Info("evicting inbound peer for a peer from a less-represented address group",
		"peer", v.info.RemoteAddr, "node_id", v.info.NodeID, "group", vg, "group_peers", vn,
		"newcomer", info.RemoteAddr, "newcomer_group", ng, "newcomer_group_peers", nn)
	v.p.Close(peer.NormalClose(fmt.Errorf("%w: %d inbound full nodes from %v, %d from the newcomer's %v",
		ErrEvicted, vn, vg, nn, ng)))
}
