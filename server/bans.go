package server

import (
	"net/netip"
	"slices"
	"sync"
	"time"
)

// Ban is one entry of the ban list.
type Ban struct {
	// IP is the banned address (IPv4-mapped addresses are unmapped).
	IP netip.Addr
	// Until is when the ban expires: the IP is refused while the clock
	// is before Until.
	Until time.Time
}

// banList maps IPs to the end of their ban (the reference's
// banned_peers). It is safe for concurrent use.
type banList struct {
	mu sync.Mutex
	m  map[netip.Addr]time.Time
}

// add bans ip until until, keeping a later expiry already recorded.
func (b *banList) add(ip netip.Addr, until time.Time) time.Time {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.m == nil {
		b.m = make(map[netip.Addr]time.Time)
	}
	if old, ok := b.m[ip]; ok && old.After(until) {
		return old
	}
	b.m[ip] = until
	return until
}

// remove lifts the ban of ip, reporting whether there was one.
func (b *banList) remove(ip netip.Addr) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	_, ok := b.m[ip]
	delete(b.m, ip)
	return ok
}

// until returns the end of ip's ban if it is banned at now.
func (b *banList) until(ip netip.Addr, now time.Time) (time.Time, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, ok := b.m[ip]
	if !ok || !now.Before(u) {
		return time.Time{}, false
	}
	return u, true
}

// purge drops the bans that have expired at now, returning how many.
func (b *banList) purge(now time.Time) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := 0
	for ip, u := range b.m {
		if !now.Before(u) {
			delete(b.m, ip)
			n++
		}
	}
	return n
}

// list returns every recorded ban, expired or not, sorted by IP.
func (b *banList) list() []Ban {
	b.mu.Lock()
	out := make([]Ban, 0, len(b.m))
	for ip, u := range b.m {
		out = append(out, Ban{IP: ip, Until: u})
	}
	b.mu.Unlock()
	slices.SortFunc(out, func(x, y Ban) int { return x.IP.Compare(y.IP) })
	return out
}

// Ban refuses ip for d, on accept (HTTP 403 before the WebSocket upgrade)
// and on Dial, as the reference's ban_peer does: the ban ends at Now()+d,
// or at the later end of a ban already recorded. It does not close
// existing connections from ip. It reports whether the ban was recorded:
// localhost (127.0.0.1, ::1) and addresses in ExemptNetworks or
// TrustedNetworks are never banned, and d ≤ 0 bans nothing. Peers with a
// TrustedNodeIDs node id are spared when their connection closes with a
// ban, but an explicit Ban of their address applies.
//
// Ban is safe for concurrent use.
func (s *Server) Ban(ip netip.Addr, d time.Duration) bool {
	ip = normalizeAddr(ip)
	if d <= 0 || !ip.IsValid() || !s.bannable(ip) {
		return false
	}
	until := s.bans.add(ip, s.cfg.Now().Add(d))
	s.log.Warn("banning peer", "ip", ip, "for", d, "until", until)
	return true
}

// Unban lifts the ban of ip, reporting whether there was one (expired or
// not). It is safe for concurrent use.
func (s *Server) Unban(ip netip.Addr) bool { return s.bans.remove(normalizeAddr(ip)) }

// IsBanned reports whether ip is banned now. It is safe for concurrent
// use.
func (s *Server) IsBanned(ip netip.Addr) bool {
	_, ok := s.bans.until(normalizeAddr(ip), s.cfg.Now())
	return ok
}

// Bans returns the ban list sorted by IP. Entries that have expired but
// not yet been purged are included; compare Until with the clock. It is
// safe for concurrent use.
func (s *Server) Bans() []Ban { return s.bans.list() }

// bannable reports whether ip may be banned at all.
func (s *Server) bannable(ip netip.Addr) bool {
	return !s.cfg.isLocalhost(ip) && !inNetworks(ip, s.cfg.ExemptNetworks) && !inNetworks(ip, s.cfg.TrustedNetworks)
}

// purgeBans drops the bans expired at now (the reference does so in its
// 600 s garbage-collection task).
func (s *Server) purgeBans(now time.Time) {
	if n := s.bans.purge(now); n > 0 {
		s.log.Debug("purged expired bans", "count", n)
	}
}
