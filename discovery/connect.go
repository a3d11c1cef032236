package discovery

import (
	"context"
	"errors"
	"net/netip"
	"time"

	"github.com/chianet/chianet/addrman"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/server"
)

// dialKind says why an address is dialled.
type dialKind uint8

const (
	// kindOutbound: to reach the outbound target; one per group.
	kindOutbound dialKind = iota
	// kindFeeler: to test a new-table address; closed after the
	// handshake, exempt from the group rule.
	kindFeeler
	// kindCollision: to test the tried entry a newly good address would
	// evict; exempt from the group and retry rules.
	kindCollision
	// kindStatic: a configured static peer, in the last bootstrap step.
	kindStatic
)

func (k dialKind) String() string {
	switch k {
	case kindOutbound:
		return "outbound"
	case kindFeeler:
		return "feeler"
	case kindCollision:
		return "collision test"
	case kindStatic:
		return "static"
	default:
		return "unknown"
	}
}

// pendingDial is a dial under way.
type pendingDial struct {
	kind    dialKind
	group   addrman.Group
	started time.Time
}

// dialOutcome is how a dial ended.
type dialOutcome uint8

const (
	// dialFailed: no connection (a failure counted against the address,
	// or not, see dial).
	dialFailed dialOutcome = iota
	// dialDuplicate: already connected to the address, or it is us.
	dialDuplicate
	// dialKept: connected and kept as an outbound connection.
	dialKept
	// dialClosed: connected, then closed: a feeler, or beyond the target
	// or the one-per-group rule, or not a full node.
	dialClosed
)

// netState is a snapshot of the connections as the connect loop needs it.
type netState struct {
	// outbound counts the live outbound full-node connections (those
	// discovery is closing left out); outGroups are their groups.
	outbound  int
	outGroups map[addrman.Group]struct{}
	// groups are outGroups plus the groups of outbound dials under way:
	// the groups a new outbound dial must avoid.
	groups map[addrman.Group]struct{}
	// connected holds every connection's socket address and its IP with
	// the handshake server port.
	connected map[netip.AddrPort]struct{}
	// pendingIPs are the IPs of the dials under way.
	pendingIPs map[netip.Addr]struct{}
	// young counts the outbound dials under way for less than
	// dialGrace: they count toward the target.
	young int
}

// stateLocked takes a snapshot, leaving out exclude. d.mu is held.
func (d *Discovery) stateLocked(exclude link) netState {
	st := netState{
		outGroups:  make(map[addrman.Group]struct{}),
		groups:     make(map[addrman.Group]struct{}),
		connected:  make(map[netip.AddrPort]struct{}),
		pendingIPs: make(map[netip.Addr]struct{}, len(d.pending)),
	}
	for _, l := range d.net.Links() {
		if l == exclude {
			continue
		}
		info := l.Info()
		ip := info.RemoteAddr.Addr().Unmap()
		st.connected[netip.AddrPortFrom(ip, info.RemoteAddr.Port())] = struct{}{}
		st.connected[netip.AddrPortFrom(ip, info.ServerPort)] = struct{}{}
		if !info.Outbound || info.NodeType != protocol.NodeFullNode {
			continue
		}
		if _, ok := d.closing[l]; ok {
			continue
		}
		select {
		case <-l.Done():
			continue
		default:
		}
		st.outbound++
		g := addrman.GroupOf(ip)
		st.outGroups[g] = struct{}{}
		st.groups[g] = struct{}{}
	}
	now := d.now()
	for ip, pd := range d.pending {
		st.pendingIPs[ip] = struct{}{}
		if pd.kind == kindOutbound {
			st.groups[pd.group] = struct{}{}
			if now.Sub(pd.started) < dialGrace {
				st.young++
			}
		}
	}
	return st
}

// connectLoop is the reference's _connect_to_peers: bootstrap when
// nothing usable is known, otherwise pick and dial one address per
// round, with feelers and tried-collision tests.
func (d *Discovery) connectLoop(ctx context.Context) {
	nextFeeler := d.now().Add(d.feelerDelay())
	var lastCollision time.Time
	wantBootstrap := true // the first round reports the persisted peers
	round := 0
	for ctx.Err() == nil {
		now := d.now()
		if d.am.Size() == 0 {
			wantBootstrap = true
		}
		d.mu.Lock()
		nextRound := d.lastRound.Add(backoffAfter(d.streak))
		d.mu.Unlock()
		if wantBootstrap && !now.Before(nextRound) {
			round++
			d.mu.Lock()
			d.streak++
			d.mu.Unlock()
			d.bootstrapRound(ctx, round)
			d.mu.Lock()
			d.lastRound = d.now()
			d.mu.Unlock()
			wantBootstrap = false
			continue
		}
		if d.am.Size() == 0 {
			// Nothing to dial: wait for the next bootstrap round.
			if !d.sleep(ctx, nextRound.Sub(now), nil) {
				return
			}
			continue
		}

		d.mu.Lock()
		st := d.stateLocked(nil)
		d.mu.Unlock()
		// needed counts the connections missing; wanted leaves out
		// those that young dials are about to make.
		needed := d.cfg.TargetOutbound - st.outbound
		wanted := needed - st.young
		if needed <= 0 {
			wantBootstrap = false
		}
		kind := kindOutbound
		if needed <= 0 && d.cfg.FeelerMean > 0 && !now.Before(nextFeeler) {
			nextFeeler = now.Add(d.feelerDelay())
			kind = kindFeeler
		}

		d.am.ResolveCollisions()
		var cand netip.AddrPort
		if now.Sub(lastCollision) > collisionSpacing {
			if e, ok := d.am.SelectTriedCollision(); ok {
				if ap, err := e.Addr.AddrPort(); err == nil && !d.busy(ap, st) {
					cand, kind, lastCollision = ap, kindCollision, now
				}
			}
		}
		failed := false
		if !cand.IsValid() && (wanted > 0 || kind == kindFeeler) {
			cand, failed = d.selectAddr(now, st, kind == kindFeeler)
			failed = failed && wanted > 0
			if failed {
				// The reference's retry_introducers: nothing known is
				// usable any more.
				wantBootstrap = true
			}
		}
		if cand.IsValid() {
			if !d.beginDial(ctx, cand, kind) {
				return
			}
			d.dials.Go(func() { d.dial(ctx, cand, kind) })
		}

		pause := max(roundBase, time.Duration(len(st.outGroups))*roundPerGroup)
		if needed <= 0 && kind == kindOutbound {
			pause += roundIdle // nothing wanted this round
		}
		if failed {
			// Nothing to dial until the next bootstrap round, a
			// connection leaving, or a retry interval running out.
			pause = d.cfg.ConnectInterval
		}
		pause = min(pause, d.cfg.ConnectInterval)
		if wantBootstrap {
			pause = max(min(pause, nextRound.Sub(d.now())), 0)
		}
		if !d.sleep(ctx, pause, d.wake) {
			return
		}
	}
}

// feelerDelay draws the delay to the next feeler. Only the connect loop
// calls it (it uses Config.Rand).
func (d *Discovery) feelerDelay() time.Duration {
	if d.cfg.FeelerMean <= 0 {
		return 0
	}
	return poissonDelay(d.cfg.Rand, d.cfg.FeelerMean)
}

// selectAddr picks an address to dial, trying up to 10, 25 or 50 picks
// (by the number of outbound groups, as the reference does). It reports
// failed when the table had nothing or every pick was refused.
func (d *Discovery) selectAddr(now time.Time, st netState, feeler bool) (ap netip.AddrPort, failed bool) {
	maxTries := 50
	switch g := len(st.outGroups); {
	case g < 3:
		maxTries = 10
	case g <= 5:
		maxTries = 25
	}
	for range maxTries {
		e, ok := d.am.Select(feeler)
		if !ok {
			return netip.AddrPort{}, true
		}
		ap, err := e.Addr.AddrPort()
		if err != nil || d.refuse(ap, e, now, st, feeler) {
			continue
		}
		return ap, false
	}
	return netip.AddrPort{}, true
}

// refuse reports whether the picked entry e (at ap) must not be dialled
// now.
func (d *Discovery) refuse(ap netip.AddrPort, e addrman.Entry, now time.Time, st netState, feeler bool) bool {
	if !feeler {
		if _, taken := st.groups[addrman.GroupOf(ap.Addr())]; taken {
			return true
		}
	}
	if d.busy(ap, st) {
		return true
	}
	if !e.LastTry.IsZero() && now.Sub(e.LastTry) < d.cfg.RetryInterval {
		return true
	}
	return !d.admissible(ap.Addr()) || d.net.IsBanned(ap.Addr())
}

// busy reports whether ap is connected, being dialled, or ourselves.
func (d *Discovery) busy(ap netip.AddrPort, st netState) bool {
	if _, ok := st.connected[ap]; ok {
		return true
	}
	if _, ok := st.pendingIPs[ap.Addr()]; ok {
		return true
	}
	return d.isSelf(ap)
}

// isSelf reports whether ap is one of our own addresses: the public
// address, the listener's, or one that answered with our node id.
func (d *Discovery) isSelf(ap netip.AddrPort) bool {
	if ap == d.cfg.PublicAddr {
		return true
	}
	if l := d.net.ListenAddr(); l.IsValid() && !l.Addr().IsUnspecified() &&
		netip.AddrPortFrom(l.Addr().Unmap(), l.Port()) == ap {
		return true
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	_, ok := d.self[ap]
	return ok
}

// beginDial waits for a free dial slot (at most MaxPendingDials dials
// under way) and records the dial as pending. It reports false if ctx
// ended first.
func (d *Discovery) beginDial(ctx context.Context, ap netip.AddrPort, kind dialKind) bool {
	select {
	case d.slots <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	d.mu.Lock()
	d.pending[ap.Addr()] = pendingDial{kind: kind, group: addrman.GroupOf(ap.Addr()), started: d.now()}
	d.stats.Dials++
	switch kind {
	case kindFeeler:
		d.stats.Feelers++
	case kindCollision:
		d.stats.CollisionTests++
	}
	d.stats.MaxPendingSeen = max(d.stats.MaxPendingSeen, len(d.pending))
	hook := d.hooks.dialStart
	d.mu.Unlock()
	if hook != nil {
		hook(ap, kind)
	}
	d.log.Debug("dialling peer", "addr", ap, "kind", kind)
	return true
}

// dial connects to ap (after beginDial), records the outcome in the
// address manager as the reference does, and keeps the connection only
// if it is a full node that fits the outbound target and the
// one-per-group rule; feelers are always closed after the handshake.
//
//	outcome                          address manager
//	connected (kept or closed)       Good, then Connect
//	duplicate, self, banned          Attempt, not counted as a failure
//	connected to a non-full node     Attempt, counted
//	failed                           Attempt, counted
//	cancelled (shutdown)             nothing
func (d *Discovery) dial(ctx context.Context, ap netip.AddrPort, kind dialKind) (dialOutcome, error) {
	defer func() { <-d.slots }()
	info := addrman.PeerInfoFrom(ap)
	l, err := d.net.Dial(ctx, ap.String())
	now := d.now()
	if err != nil {
		d.mu.Lock()
		delete(d.pending, ap.Addr())
		d.stats.DialFailures++
		if errors.Is(err, peer.ErrSelfConnection) {
			d.self[ap] = struct{}{}
		}
		d.mu.Unlock()
		outcome := dialFailed
		switch {
		case ctx.Err() != nil, errors.Is(err, server.ErrServerClosed), errors.Is(err, server.ErrNotStarted):
			// Shutting down: not the address's fault.
		case errors.Is(err, peer.ErrSelfConnection), errors.Is(err, server.ErrDuplicate):
			d.am.Attempt(info, false, now)
			outcome = dialDuplicate
		case errors.Is(err, server.ErrBanned):
			d.am.Attempt(info, false, now)
		default:
			d.am.Attempt(info, true, now)
		}
		d.log.Debug("dial failed", "addr", ap, "kind", kind, "err", err)
		return outcome, err
	}

	pi := l.Info()
	reason := ""
	if pi.NodeType != protocol.NodeFullNode {
		d.am.Attempt(info, true, now)
		reason = "not a full node"
	} else {
		d.am.Good(info, true, now)
		d.am.Connect(info, now)
	}
	d.mu.Lock()
	delete(d.pending, ap.Addr())
	if reason == "" {
		st := d.stateLocked(l)
		_, groupTaken := st.outGroups[addrman.GroupOf(ap.Addr())]
		switch {
		case kind == kindFeeler:
			reason = "feeler"
		case st.outbound >= d.cfg.TargetOutbound:
			reason = "outbound target met"
		case groupTaken:
			reason = "group already has an outbound connection"
		}
	}
	if reason != "" {
		d.closing[l] = struct{}{}
		d.stats.Closed++
	} else {
		// Discovery works: the bootstrap backoff starts over at
		// MinBootstrapBackoff.
		d.streak = min(d.streak, 1)
	}
	d.mu.Unlock()
	if reason != "" {
		d.log.Debug("closing connection after handshake", "addr", ap, "kind", kind, "reason", reason)
		l.Close()
		return dialClosed, nil
	}
	d.log.Debug("outbound connection kept", "addr", ap, "kind", kind, "node_id", pi.NodeID)
	return dialKept, nil
}
