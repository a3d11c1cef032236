package discovery

import (
	"context"
	"errors"
	"fmt"
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
	kind  dialKind
	ap    netip.AddrPort
	group addrman.Group
	// started is when the dial started, in real time: its age is
	// compared with Config.DialGrace, a bound on network and handshake
	// time like the server's dial timeouts, which Config.Clock does not
	// scale.
	started time.Time
	// slot is set for an outbound dial, which takes a free slot of the
	// target when it starts and holds it for Config.DialGrace. claimed
	// is set once the handshake is done and the connection is admitted
	// (see admit): it holds a slot until the dial ends.
	slot, claimed bool
}

// holds reports whether the dial counts toward the target at now, given
// the grace of outbound dials.
func (pd pendingDial) holds(now time.Time, grace time.Duration) bool {
	return pd.claimed || (pd.slot && (grace < 0 || now.Sub(pd.started) < grace))
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
	// dialClosed: connected, then closed after the handshake without
	// joining the server's connections: a feeler, or beyond the target
	// or the one-per-group rule, or not a full node.
	dialClosed
)

// errNotKept is what admit refuses a connection with.
var errNotKept = errors.New("discovery: connection not kept")

// netState is a snapshot of the connections as the connect loop needs it.
type netState struct {
	// outbound counts the live outbound full-node connections, those
	// of dials not yet ended left out (reserved counts them);
	// outGroups are their groups and those of admitted dials.
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
	// reserved counts the dials under way that hold a slot of the
	// target (pendingDial.holds). outbound + reserved never exceeds the
	// target through discovery's own dials.
	reserved int
}

// stateLocked takes a snapshot. d.mu is held.
func (d *Discovery) stateLocked() netState {
	st := netState{
		outGroups:  make(map[addrman.Group]struct{}),
		groups:     make(map[addrman.Group]struct{}),
		connected:  make(map[netip.AddrPort]struct{}),
		pendingIPs: make(map[netip.Addr]struct{}, len(d.pending)),
	}
	for _, l := range d.net.Links() {
		info := l.Info()
		ip := info.RemoteAddr.Addr().Unmap()
		remote := netip.AddrPortFrom(ip, info.RemoteAddr.Port())
		st.connected[remote] = struct{}{}
		st.connected[netip.AddrPortFrom(ip, info.ServerPort)] = struct{}{}
		if !info.Outbound || info.NodeType != protocol.NodeFullNode {
			continue
		}
		select {
		case <-l.Done():
			continue
		default:
		}
		if pd, ok := d.pending[ip]; ok && pd.ap == remote {
			// Its dial has not ended yet: counted by its claim.
			continue
		}
		st.outbound++
		g := addrman.GroupOf(ip)
		st.outGroups[g] = struct{}{}
		st.groups[g] = struct{}{}
	}
	now := time.Now()
	for ip, pd := range d.pending {
		st.pendingIPs[ip] = struct{}{}
		if pd.kind == kindOutbound || pd.claimed {
			st.groups[pd.group] = struct{}{}
		}
		if pd.claimed {
			st.outGroups[pd.group] = struct{}{}
		}
		if pd.holds(now, d.cfg.DialGrace) {
			st.reserved++
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
		st := d.stateLocked()
		d.mu.Unlock()
		// needed counts the connections missing; wanted leaves out
		// those that dials holding a slot are about to make.
		needed := d.cfg.TargetOutbound - st.outbound
		wanted := needed - st.reserved
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
			if d.beginDial(ctx, cand, kind) {
				d.dials.Go(func() { d.dial(ctx, cand, kind) })
			} else if ctx.Err() != nil {
				return
			}
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
// under way) and records the dial as pending; an outbound dial also takes
// a free slot of the target. It reports false, starting nothing, if ctx
// ended first or an outbound dial finds the target's slots all taken.
func (d *Discovery) beginDial(ctx context.Context, ap netip.AddrPort, kind dialKind) bool {
	select {
	case d.slots <- struct{}{}:
	case <-ctx.Done():
		return false
	}
	d.mu.Lock()
	if kind == kindOutbound {
		if st := d.stateLocked(); st.outbound+st.reserved >= d.cfg.TargetOutbound {
			d.mu.Unlock()
			<-d.slots
			return false
		}
	}
	d.pending[ap.Addr()] = pendingDial{
		kind: kind, ap: ap, group: addrman.GroupOf(ap.Addr()), started: time.Now(), slot: kind == kindOutbound,
	}
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

// admit decides, once the handshake of the dial to ap is done and before
// the connection joins the server's connections, whether it is kept: only
// a full node that is not a feeler, fits the target and has its group to
// itself. A kept connection claims its slot of the target for the rest of
// its dial; the server registers it only then, so the outbound
// connections never exceed the target, not even between the handshake and
// the decision. It records the handshake in the address manager and
// returns why the connection is refused, "" if it is kept.
func (d *Discovery) admit(ap netip.AddrPort, kind dialKind, pi peer.Info) string {
	info := addrman.PeerInfoFrom(ap)
	now := d.now()
	if pi.NodeType != protocol.NodeFullNode {
		d.am.Attempt(info, true, now)
		return "not a full node"
	}
	d.am.Good(info, true, now)
	d.am.Connect(info, now)
	if kind == kindFeeler {
		return "feeler"
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	pd, ok := d.pending[ap.Addr()]
	st := d.stateLocked()
	taken := st.outbound + st.reserved
	if ok && pd.holds(time.Now(), d.cfg.DialGrace) {
		taken-- // its own slot
	}
	_, groupTaken := st.outGroups[addrman.GroupOf(ap.Addr())]
	switch {
	case !ok:
		return "dial no longer pending" // not reached: dial holds it
	case taken >= d.cfg.TargetOutbound:
		return "outbound target met"
	case groupTaken:
		return "group already has an outbound connection"
	}
	pd.claimed = true
	d.pending[ap.Addr()] = pd
	return ""
}

// dial connects to ap (after beginDial), records the outcome in the
// address manager as the reference does, and keeps the connection only
// if admit lets it join the server's connections; feelers are always
// closed after the handshake.
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
	// admit runs on this goroutine, inside Dial.
	handshake, refused := false, ""
	l, err := d.net.Dial(ctx, ap.String(), func(pi peer.Info) error {
		handshake = true
		if refused = d.admit(ap, kind, pi); refused != "" {
			return fmt.Errorf("%w: %s", errNotKept, refused)
		}
		return nil
	})
	now := d.now()
	d.mu.Lock()
	delete(d.pending, ap.Addr())
	switch {
	case err == nil:
		// Discovery works: the bootstrap backoff starts over at
		// MinBootstrapBackoff.
		d.streak = min(d.streak, 1)
	case refused != "":
		d.stats.Closed++
	default:
		d.stats.DialFailures++
		if errors.Is(err, peer.ErrSelfConnection) {
			d.self[ap] = struct{}{}
		}
	}
	d.mu.Unlock()
	if err == nil {
		d.log.Debug("outbound connection kept", "addr", ap, "kind", kind, "node_id", l.Info().NodeID)
		return dialKept, nil
	}
	if refused != "" {
		d.log.Debug("connection closed after handshake", "addr", ap, "kind", kind, "reason", refused)
		return dialClosed, nil
	}

	outcome := dialFailed
	switch {
	case ctx.Err() != nil, errors.Is(err, server.ErrServerClosed), errors.Is(err, server.ErrNotStarted):
		// Shutting down: not the address's fault.
	case handshake:
		// Admitted, then refused by the server or lost before it was
		// registered: the handshake is already recorded.
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
