package server

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/chianet/chianet/addrman"
)

// trackingListener wraps the raw TCP listener. It remembers the
// connections it accepted until they are closed, so that Close can drop
// those the HTTP server no longer tracks (hijacked for WebSocket, possibly
// still in their handshake), and it paces accepts: it bounds the
// connections still setting up (TLS, HTTP upgrade, Chia handshake), in
// all and per IP.
//
// A connection is pending from its accept until its handshake is done
// (handshakeDone) or it closes. Connections from exempt addresses are
// never pending. When a connection arrives:
//
//   - if its IP already has maxPerIP pending connections, it is closed at
//     once;
//   - else, if maxPending connections are pending, the oldest pending
//     connection of the address group (/16, /32 for IPv6) with the most
//     pending connections is closed to make room (a socket that sends
//     nothing cannot hold its place against newer ones, and a crowded
//     group makes way before a lone peer does).
//
// The pending count therefore never exceeds maxPending, and Accept never
// stops accepting: new sockets do not queue in the kernel backlog behind
// idle ones.
type trackingListener struct {
	net.Listener
	// maxPending and maxPerIP are the bounds; 0 means none.
	maxPending, maxPerIP int
	// exempt reports the addresses the bounds do not apply to.
	exempt func(netip.Addr) bool
	// onAccept, if set, is called after each accepted connection is dealt
	// with (for tests).
	onAccept func()

	accepted  atomic.Int64 // connections accepted so far, refused ones included
	overIP    atomic.Int64 // connections closed at once for their IP's bound
	displaced atomic.Int64 // pending connections closed to make room

	mu        sync.Mutex
	conns     map[*trackedConn]struct{}
	pending   map[netip.AddrPort]*trackedConn // by remote address
	perIP     map[netip.Addr]int              // pending connections of each IP
	seq       uint64                          // accept order
	highWater int                             // the most connections ever pending, for tests
	// inHandler holds the remote address of every pending connection
	// whose HTTP request the Server is serving; the value is set when the
	// connection was displaced meanwhile, so that its failed handshake is
	// not blamed on the peer (wasDisplaced).
	inHandler map[netip.AddrPort]bool
}

func newTrackingListener(ln net.Listener, maxPending, maxPerIP int, exempt func(netip.Addr) bool) *trackingListener {
	return &trackingListener{
		Listener:   ln,
		maxPending: max(maxPending, 0),
		maxPerIP:   max(maxPerIP, 0),
		exempt:     exempt,
		conns:      make(map[*trackedConn]struct{}),
		pending:    make(map[netip.AddrPort]*trackedConn),
		perIP:      make(map[netip.Addr]int),
		inHandler:  make(map[netip.AddrPort]bool),
	}
}

// Accept accepts a connection, applies the bounds and tracks it. A
// connection over its IP's bound is closed and the next one accepted.
func (l *trackingListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		l.accepted.Add(1)
		tc := &trackedConn{Conn: c, l: l}
		if tcp, ok := c.RemoteAddr().(*net.TCPAddr); ok {
			ap := tcp.AddrPort()
			tc.remote = netip.AddrPortFrom(normalizeAddr(ap.Addr()), ap.Port())
		}
		ip := tc.remote.Addr()
		paced := ip.IsValid() && !l.exempt(ip)

		var victim *trackedConn
		l.mu.Lock()
		if paced && l.maxPerIP > 0 && l.perIP[ip] >= l.maxPerIP {
			l.mu.Unlock()
			_ = c.Close()
			l.overIP.Add(1)
			if l.onAccept != nil {
				l.onAccept()
			}
			continue
		}
		if paced {
			if l.maxPending > 0 && len(l.pending) >= l.maxPending {
				victim = l.victimLocked()
				l.unpendLocked(victim)
				if _, ok := l.inHandler[victim.remote]; ok {
					l.inHandler[victim.remote] = true
				}
			}
			l.seq++
			tc.seq, tc.group, tc.isPending = l.seq, addrman.GroupOf(ip), true
			l.pending[tc.remote] = tc
			l.perIP[ip]++
			l.highWater = max(l.highWater, len(l.pending))
		}
		l.conns[tc] = struct{}{}
		l.mu.Unlock()
		if victim != nil {
			_ = victim.Close()
			l.displaced.Add(1)
		}
		if l.onAccept != nil {
			l.onAccept()
		}
		return tc, nil
	}
}

// victimLocked returns the pending connection to close for a newcomer:
// the oldest of the group with the most pending connections (on a tie,
// the group whose oldest connection is older). l.mu is held and at least
// one connection is pending.
func (l *trackingListener) victimLocked() *trackedConn {
	type groupState struct {
		n      int
		oldest *trackedConn
	}
	groups := make(map[addrman.Group]*groupState, len(l.pending))
	var best *groupState
	for _, c := range l.pending {
		g := groups[c.group]
		if g == nil {
			g = &groupState{}
			groups[c.group] = g
		}
		g.n++
		if g.oldest == nil || c.seq < g.oldest.seq {
			g.oldest = c
		}
	}
	for _, g := range groups {
		if best == nil || g.n > best.n || (g.n == best.n && g.oldest.seq < best.oldest.seq) {
			best = g
		}
	}
	return best.oldest
}

// unpendLocked takes c out of the pending set, if it is there. l.mu is
// held.
func (l *trackingListener) unpendLocked(c *trackedConn) {
	if !c.isPending {
		return
	}
	c.isPending = false
	delete(l.pending, c.remote)
	ip := c.remote.Addr()
	if l.perIP[ip] <= 1 {
		delete(l.perIP, ip)
	} else {
		l.perIP[ip]--
	}
}

// handshakeDone ends the pending phase of the connection from remote.
func (l *trackingListener) handshakeDone(remote netip.AddrPort) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if c := l.pending[remote]; c != nil {
		l.unpendLocked(c)
	}
}

// enterHandler records that the HTTP request of the pending connection
// from remote is being served; leaveHandler must follow. (A connection
// displaced before this point is closed already, so its WebSocket
// upgrade fails and no handshake is attempted.)
func (l *trackingListener) enterHandler(remote netip.AddrPort) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pending[remote] != nil {
		l.inHandler[remote] = false
	}
}

// leaveHandler forgets what enterHandler recorded.
func (l *trackingListener) leaveHandler(remote netip.AddrPort) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.inHandler, remote)
}

// wasDisplaced reports whether the connection from remote, whose request
// is being served, was closed to make room for a newer one.
func (l *trackingListener) wasDisplaced(remote netip.AddrPort) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.inHandler[remote]
}

// pendingCount returns how many connections are pending, and the most
// that ever were.
func (l *trackingListener) pendingCount() (now, highWater int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.pending), l.highWater
}

// takeRefused returns how many connections were closed at once for their
// IP's bound and how many pending ones were displaced since the last
// call.
func (l *trackingListener) takeRefused() (overIP, displaced int64) {
	return l.overIP.Swap(0), l.displaced.Swap(0)
}

// closeAll closes every tracked connection.
func (l *trackingListener) closeAll() {
	l.mu.Lock()
	conns := make([]*trackedConn, 0, len(l.conns))
	for c := range l.conns {
		conns = append(conns, c)
	}
	l.mu.Unlock()
	for _, c := range conns {
		_ = c.Close()
	}
}

// trackedConn removes itself from its listener when closed.
type trackedConn struct {
	net.Conn
	l      *trackingListener
	remote netip.AddrPort // normalized; zero if not TCP
	once   sync.Once

	// Set at accept for a pending connection; isPending is guarded by
	// l.mu.
	seq       uint64
	group     addrman.Group
	isPending bool
}

// Close closes the connection and forgets it.
func (c *trackedConn) Close() error {
	c.once.Do(func() {
		c.l.mu.Lock()
		delete(c.l.conns, c)
		c.l.unpendLocked(c)
		c.l.mu.Unlock()
	})
	return c.Conn.Close()
}
