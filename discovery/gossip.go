package discovery

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/chianet/chianet/addrman"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

// relayItem is an address waiting to be relayed to fanout neighbours.
type relayItem struct {
	tp     protocol.TimestampedPeerInfo
	fanout int
}

// admissible reports whether a may be dialled, stored or gossiped:
// never unspecified, multicast or broadcast; private, loopback,
// link-local and reserved (the reference's is_private) only with
// AllowPrivate.
func (d *Discovery) admissible(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.Zone() != "" || a.IsUnspecified() || a.IsMulticast() || a == ipv4Broadcast {
		return false
	}
	return d.cfg.AllowPrivate || !addrman.IsPrivate(a)
}

// wrongNetworkPort reports whether port is another network's default
// full-node port (the reference's _peer_has_wrong_network_port).
func (d *Discovery) wrongNetworkPort(port uint16) bool {
	return slices.Contains(networkPorts[:], port) && port != d.cfg.DefaultPort
}

// clean checks one advertised address: a host of at most 45 bytes that
// is an IP literal (no host names, no zones), a non-zero port that is not
// another network's default, and an admissible IP. It returns the
// address with an IPv4-mapped IPv6 host unmapped.
func (d *Discovery) clean(tp protocol.TimestampedPeerInfo) (netip.AddrPort, bool) {
	if len(tp.Host) > maxHostLength || tp.Port == 0 || d.wrongNetworkPort(tp.Port) {
		return netip.AddrPort{}, false
	}
	a, err := netip.ParseAddr(tp.Host)
	if err != nil || !d.admissible(a) {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(a.Unmap(), tp.Port), true
}

// normalizeTimestamp replaces an advertised timestamp below 100,000,000
// or more than 10 minutes ahead of now by now − 5 days, as the reference
// does.
func normalizeTimestamp(ts uint64, now time.Time) uint64 {
	if ts < minTimestamp || ts > uint64(now.Add(futureSlack).Unix()) {
		return uint64(now.Add(-badAge).Unix())
	}
	return ts
}

// neighbourOf is how a connection is known to the relay: its IP and
// handshake server port (the reference's get_peer_info).
func neighbourOf(info peer.Info) netip.AddrPort {
	return netip.AddrPortFrom(info.RemoteAddr.Addr().Unmap(), info.ServerPort)
}

// markKnown records that neighbour nb knows the hosts of list. It
// reports whether any of them was new to it.
func (d *Discovery) markKnown(nb netip.AddrPort, list []protocol.TimestampedPeerInfo) bool {
	d.mu.Lock()
	defer d.mu.Unlock()
	set := d.known[nb]
	if set == nil {
		set = make(map[string]struct{}, len(list))
		d.known[nb] = set
	}
	fresh := false
	for _, tp := range list {
		if _, ok := set[tp.Host]; !ok {
			set[tp.Host] = struct{}{}
			fresh = true
		}
	}
	return fresh
}

// handleRequestPeers answers request_peers (full nodes only).
func (d *Discovery) handleRequestPeers(_ context.Context, p *peer.Peer, _ protocol.Message) (*protocol.Message, error) {
	list, ok := d.answerRequestPeers(p.Info())
	if !ok {
		return nil, nil
	}
	return peer.Reply(protocol.MsgRespondPeers, &protocol.RespondPeers{PeerList: list})
}

// answerRequestPeers returns the answer to a request_peers from the peer
// described by from: a random 23% of the known addresses, at most 1,000,
// none terrible, private (unless AllowPrivate) or of another network's
// default port. The addresses are marked as known to the requester. A
// wallet does not answer (ok false).
func (d *Discovery) answerRequestPeers(from peer.Info) (list []protocol.TimestampedPeerInfo, ok bool) {
	if !d.fullNode {
		return nil, false
	}
	sample := d.am.Sample(addrman.GetPeersFraction, addrman.GetPeersMax)
	list = sample[:0]
	for _, tp := range sample {
		if _, ok := d.clean(tp); ok {
			list = append(list, tp)
		}
	}
	d.markKnown(neighbourOf(from), list)
	return list, true
}

// handleRespondPeers ingests a respond_peers, solicited or relayed.
func (d *Discovery) handleRespondPeers(_ context.Context, p *peer.Peer, msg protocol.Message) (*protocol.Message, error) {
	var rp protocol.RespondPeers
	if err := decodeInto(msg, &rp); err != nil {
		return nil, err
	}
	d.ingestPeers(p.Info(), rp.PeerList)
	return nil, nil
}

// handleRespondPeersIntroducer ingests an introducer's answer that
// arrived outside queryIntroducer's request, then closes the connection,
// as the reference does.
func (d *Discovery) handleRespondPeersIntroducer(_ context.Context, p *peer.Peer, msg protocol.Message) (*protocol.Message, error) {
	var rp protocol.RespondPeersIntroducer
	if err := decodeInto(msg, &rp); err != nil {
		return nil, err
	}
	if _, err := d.ingestIntroducer(rp.PeerList); err != nil {
		d.log.Debug("introducer reply ignored", "peer", p.Info().RemoteAddr, "err", err)
	}
	peerLink{p}.Close()
	return nil, nil
}

// decodeInto decodes msg's payload into v.
func decodeInto[T any, P interface {
	*T
	protocol.Value
}](msg protocol.Message, v P) error {
	got, err := msg.Payload()
	if err != nil {
		return err
	}
	x, ok := got.(P)
	if !ok {
		return fmt.Errorf("discovery: %v carries %T", msg.Type, got)
	}
	*v = *x
	return nil
}

// ingestPeers takes the addresses of a respond_peers from the peer
// described by from: a message of more than MaxPeersPerReply addresses,
// or one that takes its source host over MaxPeersPerSource since the last
// daily reset, is ignored whole. Each address is checked (clean), its
// timestamp normalised, and the lot added with the sender (its IP and
// handshake server port) as source and the 2 h gossip penalty. A full
// node relays a lone fresh address to two neighbours. It returns how many
// addresses were new, and false if the message was ignored.
func (d *Discovery) ingestPeers(from peer.Info, list []protocol.TimestampedPeerInfo) (int, bool) {
	srcIP := from.RemoteAddr.Addr().Unmap()
	host := srcIP.String()
	if len(list) > MaxPeersPerReply {
		d.mu.Lock()
		d.stats.RepliesIgnored++
		d.mu.Unlock()
		d.log.Debug("respond_peers over the per-message limit ignored", "peer", from.RemoteAddr, "addresses", len(list))
		return 0, false
	}
	d.mu.Lock()
	d.received[host] += len(list)
	total := d.received[host]
	over := total > MaxPeersPerSource
	if over {
		d.stats.RepliesIgnored++
	}
	d.mu.Unlock()
	if over {
		d.log.Debug("respond_peers over the per-source limit ignored", "peer", from.RemoteAddr, "received", total)
		return 0, false
	}

	now := d.now()
	clean := make([]protocol.TimestampedPeerInfo, 0, len(list))
	for _, tp := range list {
		ap, ok := d.clean(tp)
		if !ok {
			continue
		}
		clean = append(clean, protocol.TimestampedPeerInfo{
			Host:      ap.Addr().String(),
			Port:      ap.Port(),
			Timestamp: normalizeTimestamp(tp.Timestamp, now),
		})
	}
	if len(clean) == 0 {
		return 0, true
	}
	src := addrman.PeerInfo{Host: host, Port: from.ServerPort}
	added, _ := d.am.Add(clean, src, addrman.GossipPenalty)
	if d.fullNode {
		d.markKnown(neighbourOf(from), clean)
		if len(list) == 1 && clean[0].Timestamp > uint64(now.Add(-relayFreshness).Unix()) {
			d.enqueueRelay(clean[0], 2)
		}
	}
	return added, true
}

// ingestIntroducer takes an introducer's addresses: checked like
// gossip, stored with timestamp 0 and no source. It returns how many
// were new; a reply over MaxPeersPerReply is ignored with an error.
func (d *Discovery) ingestIntroducer(list []protocol.TimestampedPeerInfo) (int, error) {
	if len(list) > MaxPeersPerReply {
		d.mu.Lock()
		d.stats.RepliesIgnored++
		d.mu.Unlock()
		return 0, fmt.Errorf("introducer sent %d addresses, over the limit of %d", len(list), MaxPeersPerReply)
	}
	clean := make([]protocol.TimestampedPeerInfo, 0, len(list))
	for _, tp := range list {
		if ap, ok := d.clean(tp); ok {
			clean = append(clean, protocol.TimestampedPeerInfo{Host: ap.Addr().String(), Port: ap.Port()})
		}
	}
	if len(clean) == 0 {
		return 0, nil
	}
	added, _ := d.am.Add(clean, addrman.PeerInfo{}, 0)
	return added, nil
}

// enqueueRelay queues tp for the relay; a full queue drops it.
func (d *Discovery) enqueueRelay(tp protocol.TimestampedPeerInfo, fanout int) {
	select {
	case d.relayQ <- relayItem{tp: tp, fanout: fanout}:
	default:
		d.log.Debug("relay queue full, address dropped", "addr", tp.Host)
	}
}

// relayLoop relays queued addresses until ctx ends. It takes whatever is
// queued at once as one batch: the neighbours' order does not depend on
// the address, so one scan of the neighbours serves the batch. A node
// that thousands of full nodes dial queues an address per newcomer, and
// a scan per address made the relay O(n²) while they connected.
func (d *Discovery) relayLoop(ctx context.Context) {
	batch := make([]relayItem, 0, relayQueueSize)
	for {
		select {
		case <-ctx.Done():
			return
		case it := <-d.relayQ:
			batch = append(batch[:0], it)
		}
	more:
		for len(batch) < cap(batch) {
			select {
			case it := <-d.relayQ:
				batch = append(batch, it)
			default:
				break more
			}
		}
		d.relay(ctx, batch...)
		clear(batch)
	}
}

// relay sends each item's address, in a respond_peers of its own, to the
// first it.fanout full-node neighbours (either direction) in the order
// of SHA-256(relay key ‖ neighbour key ‖ day), skipping (but counting)
// those that already know the host. The order changes daily and differs
// between nodes, so a relayed address spreads without every node
// picking the same neighbours (Bitcoin's address relay, as in the
// reference).
func (d *Discovery) relay(ctx context.Context, items ...relayItem) {
	type cand struct {
		h  [32]byte
		l  link
		nb netip.AddrPort
	}
	fanout := 0
	for _, it := range items {
		fanout = max(fanout, it.fanout)
	}
	day := uint32(d.now().Unix() / int64(DailyInterval/time.Second))
	// Only the first fanout in hash order are needed: keep those, sorted,
	// in one pass rather than sorting every neighbour.
	cs := make([]cand, 0, fanout+1)
	for _, l := range d.net.Links() {
		info := l.Info()
		if info.NodeType != protocol.NodeFullNode {
			continue
		}
		nb := neighbourOf(info)
		h := relayHash(&d.relayKey, nb, day)
		if len(cs) == fanout && (fanout == 0 || bytes.Compare(h[:], cs[len(cs)-1].h[:]) >= 0) {
			continue
		}
		i, _ := slices.BinarySearchFunc(cs, h, func(c cand, h [32]byte) int { return bytes.Compare(c.h[:], h[:]) })
		cs = slices.Insert(cs, i, cand{h: h, l: l, nb: nb})
		if len(cs) > fanout {
			cs = cs[:fanout]
		}
	}
	for _, it := range items {
		msg := &protocol.RespondPeers{PeerList: []protocol.TimestampedPeerInfo{it.tp}}
		for _, c := range cs[:min(it.fanout, len(cs))] {
			if !d.markKnown(c.nb, msg.PeerList) {
				continue
			}
			sctx, cancel := context.WithTimeout(ctx, sendTimeout)
			err := c.l.Send(sctx, protocol.MsgRespondPeers, msg)
			cancel()
			if err != nil {
				d.log.Debug("relay not sent", "to", c.nb, "addr", it.tp.Host, "err", err)
				continue
			}
			d.mu.Lock()
			d.stats.Relayed++
			d.mu.Unlock()
		}
	}
}

// relayHash is the reference's relay ordering key: SHA-256 of the
// 32-byte relay key, the neighbour's 18-byte address key (a 16-byte
// address, IPv4 in the 6to4 form 2002:aabb:ccdd::, then the port
// big-endian) and the day number as 3 bytes big-endian. Compared as
// bytes, digests sort as the reference's big-endian integers do.
func relayHash(key *[32]byte, nb netip.AddrPort, day uint32) [32]byte {
	var buf [32 + 18 + 3]byte
	copy(buf[:32], key[:])
	k := addrman.AddressKey(nb)
	copy(buf[32:50], k[:])
	buf[50], buf[51], buf[52] = byte(day>>16), byte(day>>8), byte(day)
	return sha256.Sum256(buf[:])
}

// selfAdvertisement is our public address, seen now.
func (d *Discovery) selfAdvertisement() []protocol.TimestampedPeerInfo {
	a := d.cfg.PublicAddr
	return []protocol.TimestampedPeerInfo{{
		Host: a.Addr().Unmap().String(), Port: a.Port(), Timestamp: uint64(d.now().Unix()),
	}}
}

// dailyLoop runs the daily tasks every DailyInterval until ctx ends.
func (d *Discovery) dailyLoop(ctx context.Context) {
	for d.sleep(ctx, DailyInterval, nil) {
		d.daily(ctx)
	}
}

// daily resets the per-source counts (for every node type: the
// reference's wallet never resets them), forgets which neighbour knows
// which address, and, for a full node with a PublicAddr, advertises it
// to every full-node neighbour.
func (d *Discovery) daily(ctx context.Context) {
	d.mu.Lock()
	clear(d.received)
	clear(d.known)
	d.mu.Unlock()
	if !d.fullNode || !d.cfg.PublicAddr.IsValid() {
		return
	}
	self := d.selfAdvertisement()
	msg := &protocol.RespondPeers{PeerList: self}
	sent := 0
	for _, l := range d.net.Links() {
		info := l.Info()
		if info.NodeType != protocol.NodeFullNode {
			continue
		}
		d.markKnown(neighbourOf(info), self)
		sctx, cancel := context.WithTimeout(ctx, sendTimeout)
		if err := l.Send(sctx, protocol.MsgRespondPeers, msg); err == nil {
			sent++
		}
		cancel()
	}
	d.log.Info("advertised our address", "addr", d.cfg.PublicAddr, "peers", sent)
}

// maintenanceLoop refreshes the timestamps of live outbound full nodes
// every 10 minutes, and every 30 minutes, with at least 3 full-node
// connections, drops addresses unseen for 14 days that failed 10 times.
func (d *Discovery) maintenanceLoop(ctx context.Context) {
	lastCleanup := d.now()
	for d.sleep(ctx, stampInterval, nil) {
		now := d.now()
		fullNodes := 0
		for _, l := range d.net.Links() {
			info := l.Info()
			if info.NodeType != protocol.NodeFullNode {
				continue
			}
			fullNodes++
			if info.Outbound {
				d.am.Connect(addrman.PeerInfoFrom(netip.AddrPortFrom(info.RemoteAddr.Addr().Unmap(), info.RemoteAddr.Port())), now)
			}
		}
		if now.Sub(lastCleanup) >= cleanupInterval {
			lastCleanup = now
			if fullNodes >= cleanupMinPeers {
				if n := d.am.Cleanup(cleanupMaxAge, cleanupMaxFailures); n > 0 {
					d.log.Debug("forgot dead addresses", "count", n)
				}
			}
		}
	}
}
