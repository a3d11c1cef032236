package discovery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"sync"

	"github.com/chianet/chianet/addrman"
	"github.com/chianet/chianet/protocol"
)

// The bootstrap steps, in the order a round tries them.
const (
	StepPersisted  = "persisted"
	StepDNS        = "dns"
	StepIntroducer = "introducer"
	StepStatic     = "static"
)

// Errors reported (and logged) by bootstrap steps.
var (
	// ErrStepSkipped: the step is not configured.
	ErrStepSkipped = errors.New("discovery: bootstrap step not configured")
	// ErrNothingNew: the step answered, but with no address that was new
	// and admissible.
	ErrNothingNew = errors.New("discovery: no new usable address")
)

// bootstrapRound runs one bootstrap round: the steps in order, stopping
// at the first that finds something. It reports whether one did.
//
//	step        runs when                      succeeds when
//	persisted   first round only               the address table is not empty
//	dns         DNS.Servers set                LookupDNSIntroducers gave a new address
//	introducer  Introducer set                 its reply gave a new address
//	static      StaticPeers set                a static peer was reachable
//
// Failures are warnings only while the node has no full-node connection
// at all: a connected node runs rounds whenever nothing it knows can be
// dialled, which is routine (a small network, a devnet). An empty or
// exhausted address table is the reason rounds run, never a warning, and
// a round with no source to try is not one either.
func (d *Discovery) bootstrapRound(ctx context.Context, round int) bool {
	d.mu.Lock()
	d.stats.BootstrapRounds++
	d.mu.Unlock()
	log := d.log.With("round", round)
	known := d.am.Size()
	connected := d.fullNodeConnections()
	log.Info("bootstrap round starting", "known_addresses", known, "full_node_connections", connected)
	failLevel := slog.LevelInfo
	if connected == 0 {
		failLevel = slog.LevelWarn
	}
	tried := false // a source besides the table was asked

	// 1. Persisted peers: whatever the address manager loaded.
	switch {
	case round == 1 && known > 0:
		d.stepDone(log, slog.LevelInfo, round, StepPersisted, known, nil)
		return true
	case round == 1:
		d.stepDone(log, slog.LevelInfo, round, StepPersisted, 0, errors.New("the address table is empty"))
	case known == 0:
		d.stepDone(log, slog.LevelInfo, round, StepPersisted, 0, errors.New("the address table is empty"))
	default:
		d.stepDone(log, slog.LevelInfo, round, StepPersisted, 0, fmt.Errorf(
			"none of the %d known addresses is usable: all failed, are connected or were tried in the last %v",
			known, d.cfg.RetryInterval))
	}

	// 2. DNS introducers, all of them, A and AAAA in parallel.
	if ctx.Err() != nil {
		return false
	}
	if len(d.cfg.DNS.Servers) == 0 {
		d.stepDone(log, failLevel, round, StepDNS, 0, fmt.Errorf("%w: no DNS introducers", ErrStepSkipped))
	} else {
		tried = true
		addrs, _, err := LookupDNSIntroducers(ctx, d.cfg.DNS)
		n := d.addUnsourced(addrs)
		if err == nil && n == 0 {
			err = fmt.Errorf("%w: %d addresses answered, all known or refused", ErrNothingNew, len(addrs))
		}
		d.stepDone(log, failLevel, round, StepDNS, n, err)
		if n > 0 {
			return true
		}
	}

	// 3. The introducer.
	if ctx.Err() != nil {
		return false
	}
	if d.cfg.Introducer == "" {
		d.stepDone(log, failLevel, round, StepIntroducer, 0, fmt.Errorf("%w: no introducer", ErrStepSkipped))
	} else {
		tried = true
		n, err := d.queryIntroducer(ctx)
		d.stepDone(log, failLevel, round, StepIntroducer, n, err)
		if n > 0 {
			return true
		}
	}

	// 4. Static peers, dialled directly.
	if ctx.Err() != nil {
		return false
	}
	switch {
	case len(d.cfg.StaticPeers) > 0:
		tried = true
		n, err := d.dialStatic(ctx)
		d.stepDone(log, failLevel, round, StepStatic, n, err)
		if n > 0 {
			return true
		}
	case d.cfg.KeptPeers > 0:
		d.stepDone(log, failLevel, round, StepStatic, 0, fmt.Errorf(
			"%w: the node keeps its %d static peers connected itself", ErrStepSkipped, d.cfg.KeptPeers))
	default:
		d.stepDone(log, failLevel, round, StepStatic, 0, fmt.Errorf("%w: no static peers", ErrStepSkipped))
	}

	d.mu.Lock()
	d.stats.BootstrapFailures++
	wait := backoffAfter(d.streak)
	d.mu.Unlock()
	if ctx.Err() == nil {
		level := failLevel
		if !tried {
			level = slog.LevelInfo
		}
		log.Log(ctx, level, "bootstrap round found no peers", "next_round_in", wait, "full_node_connections", connected)
	}
	return false
}

// stepDone logs a step's outcome (info on success, debug when skipped,
// failLevel on failure) and calls the test hook.
func (d *Discovery) stepDone(log *slog.Logger, failLevel slog.Level, round int, step string, n int, err error) {
	switch {
	case err == nil:
		log.Info("bootstrap step succeeded", "step", step, "addresses", n)
	case errors.Is(err, ErrStepSkipped):
		log.Debug("bootstrap step skipped", "step", step, "reason", err)
	default:
		log.Log(context.Background(), failLevel, "bootstrap step failed", "step", step, "reason", err)
	}
	d.mu.Lock()
	hook := d.hooks.step
	d.mu.Unlock()
	if hook != nil {
		hook(round, step, n, err)
	}
}

// fullNodeConnections counts the live full-node connections, either
// direction.
func (d *Discovery) fullNodeConnections() int {
	n := 0
	for _, l := range d.net.Links() {
		if l.Info().NodeType != protocol.NodeFullNode {
			continue
		}
		select {
		case <-l.Done():
		default:
			n++
		}
	}
	return n
}

// addUnsourced adds addresses that came without a timestamp or a source
// (DNS answers, static peers): timestamp 0, no penalty, each bucketed by
// its own group. It returns how many were new.
func (d *Discovery) addUnsourced(aps []netip.AddrPort) int {
	list := make([]protocol.TimestampedPeerInfo, 0, len(aps))
	for _, ap := range aps {
		tp := protocol.TimestampedPeerInfo{Host: ap.Addr().Unmap().String(), Port: ap.Port()}
		if _, ok := d.clean(tp); ok {
			list = append(list, tp)
		}
	}
	if len(list) == 0 {
		return 0
	}
	added, _ := d.am.Add(list, addrman.PeerInfo{}, 0)
	return added
}

// queryIntroducer dials the introducer as our own node type, sends
// request_peers_introducer and ingests the reply, all within
// IntroducerTimeout, then closes the connection. It returns how many new
// addresses the reply gave.
func (d *Discovery) queryIntroducer(ctx context.Context) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, d.cfg.IntroducerTimeout)
	defer cancel()
	ap, err := d.resolve(ctx, d.cfg.Introducer)
	if err != nil {
		return 0, fmt.Errorf("resolving introducer %s: %w", d.cfg.Introducer, err)
	}
	l, err := d.net.Dial(ctx, ap.String(), nil)
	if err != nil {
		return 0, fmt.Errorf("dialling introducer %s: %w", ap, err)
	}
	defer func() {
		// Wait until the server has let go of it, so that the next
		// round can dial the introducer again.
		l.Close()
		select {
		case <-l.Done():
		case <-ctx.Done():
		}
	}()
	v, err := l.Request(ctx, protocol.MsgRequestPeersIntroducer, &protocol.RequestPeersIntroducer{})
	if err != nil {
		return 0, fmt.Errorf("introducer %s: request_peers_introducer: %w", ap, err)
	}
	resp, ok := v.(*protocol.RespondPeersIntroducer)
	if !ok {
		return 0, fmt.Errorf("introducer %s: unexpected reply %T", ap, v)
	}
	n, err := d.ingestIntroducer(resp.PeerList)
	if err == nil && n == 0 {
		err = fmt.Errorf("%w: introducer %s sent %d addresses, all known or refused", ErrNothingNew, ap, len(resp.PeerList))
	}
	return n, err
}

// dialStatic resolves the static peers, adds them to the address manager
// and dials each (outside the retry rule) at once. It returns how many
// were reachable: kept, closed after the handshake, or already
// connected.
func (d *Discovery) dialStatic(ctx context.Context) (int, error) {
	var errs []error
	var targets []netip.AddrPort
	for _, s := range d.cfg.StaticPeers {
		rctx, cancel := context.WithTimeout(ctx, d.cfg.DNS.withDefaults().Timeout)
		ap, err := d.resolve(rctx, s)
		cancel()
		if err != nil {
			errs = append(errs, fmt.Errorf("static peer %s: %w", s, err))
			continue
		}
		if !slices.Contains(targets, ap) {
			targets = append(targets, ap)
		}
	}
	d.addUnsourced(targets)

	var (
		wg        sync.WaitGroup
		mu        sync.Mutex
		reachable int
	)
	for _, ap := range targets {
		d.mu.Lock()
		_, busy := d.pending[ap.Addr()]
		d.mu.Unlock()
		if busy {
			errs = append(errs, fmt.Errorf("static peer %s: a dial to it is under way", ap))
			continue
		}
		if !d.beginDial(ctx, ap, kindStatic) {
			break
		}
		wg.Go(func() {
			outcome, err := d.dial(ctx, ap, kindStatic)
			mu.Lock()
			defer mu.Unlock()
			if outcome != dialFailed {
				reachable++
			} else {
				errs = append(errs, fmt.Errorf("static peer %s: %w", ap, err))
			}
		})
	}
	wg.Wait()
	if reachable > 0 {
		return reachable, nil
	}
	if len(errs) == 0 {
		errs = append(errs, errors.New("no static peer reachable"))
	}
	return 0, errors.Join(errs...)
}

// resolve turns "host:port" into an address: an IP literal as it is, a
// host name through DNS.Resolver, IPv4 first (as the reference prefers).
func (d *Discovery) resolve(ctx context.Context, hostport string) (netip.AddrPort, error) {
	host, portStr, err := net.SplitHostPort(hostport)
	if err != nil {
		return netip.AddrPort{}, err
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil || port == 0 {
		return netip.AddrPort{}, fmt.Errorf("invalid port %q", portStr)
	}
	if a, err := netip.ParseAddr(host); err == nil {
		if a.Zone() != "" {
			return netip.AddrPort{}, fmt.Errorf("zoned address %q", host)
		}
		return netip.AddrPortFrom(a.Unmap(), uint16(port)), nil
	}
	r := d.cfg.DNS.Resolver
	if r == nil {
		r = net.DefaultResolver
	}
	var errs []error
	for _, family := range []string{"ip4", "ip6"} {
		ips, err := r.LookupNetIP(ctx, family, host)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		for _, ip := range ips {
			if ip = ip.Unmap().WithZone(""); ip.IsValid() {
				return netip.AddrPortFrom(ip, uint16(port)), nil
			}
		}
	}
	if len(errs) == 0 {
		errs = append(errs, fmt.Errorf("no address for %s", host))
	}
	return netip.AddrPort{}, errors.Join(errs...)
}
