package rpc

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/chianet/chianet/peer"
)

// Defaults of the zero DaemonConfig fields.
const (
	// DefaultMaxMessageBytes is the reference's daemon_max_message_size.
	DefaultMaxMessageBytes = 50_000_000
	// DefaultDaemonConnections caps the daemon's WebSocket connections.
	DefaultDaemonConnections = 64
	// DefaultPingInterval is how often the daemon pings each connection,
	// as the reference's ping_task does.
	DefaultPingInterval = 30 * time.Second
	// DefaultDaemonReadTimeout closes a connection that sent nothing, not
	// even a pong, for this long: the reference's daemon_heartbeat.
	DefaultDaemonReadTimeout = 300 * time.Second
	// DefaultDaemonWriteTimeout bounds the writing of one message.
	DefaultDaemonWriteTimeout = 30 * time.Second
	// DefaultQueueLength is how many messages may wait to be written to
	// one connection; a connection that falls further behind is closed.
	DefaultQueueLength = 1024
	// DefaultMaxInFlight is how many service calls of one connection run
	// at once; its further messages wait.
	DefaultMaxInFlight = 16
)

// DaemonConfig configures a Daemon. ListenAddr and TLS are required.
type DaemonConfig struct {
	// ListenAddr is the "host:port" to listen on, the reference's
	// self_hostname and daemon_port, e.g. "localhost:55400". A host of
	// localhost means 127.0.0.1 and ::1, as Config.ListenAddr. Required.
	ListenAddr string
	// TLS is the daemon's TLS config; it must require and verify client
	// certificates (see ServerTLS with chiatls.Daemon). Required.
	TLS *tls.Config
	// AllowTLS12 admits clients that speak TLS 1.2, with the ECDHE
	// AES-GCM and ChaCha20-Poly1305 suites listed in the package documentation, as the
	// reference's daemon_allow_tls_1_2 does; client certificates are
	// still required. False, the reference's default, means TLS 1.3
	// only.
	AllowTLS12 bool
	// Version is get_version's "version". Empty means
	// peer.DefaultSoftwareVersion.
	Version string
	// NetworkInfo is what get_network_info answers.
	NetworkInfo NetworkInfo
	// Exit is called by the exit command after its answer is queued; it
	// must begin the shutdown and return at once. Nil means exit answers
	// with an error.
	Exit func()

	// MaxMessageBytes bounds an inbound message; a larger one closes the
	// connection. Zero means DefaultMaxMessageBytes.
	MaxMessageBytes int64
	// MaxConnections caps the WebSocket connections; over it the upgrade
	// is answered 503. Zero means DefaultDaemonConnections.
	MaxConnections int
	// PingInterval, ReadTimeout, WriteTimeout, QueueLength, MaxInFlight:
	// zero means the Default of the same name (DefaultPingInterval,
	// DefaultDaemonReadTimeout, DefaultDaemonWriteTimeout,
	// DefaultQueueLength, DefaultMaxInFlight).
	PingInterval time.Duration
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
	QueueLength  int
	MaxInFlight  int

	// Logger receives the daemon's log records. Nil discards.
	Logger *slog.Logger

	// For tests.

	// onAccept, if set, is called with every accepted socket.
	onAccept func(net.Conn)
}

func (c DaemonConfig) withDefaults() DaemonConfig {
	if c.Version == "" {
		c.Version = peer.DefaultSoftwareVersion
	}
	if c.MaxMessageBytes <= 0 {
		c.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if c.MaxConnections <= 0 {
		c.MaxConnections = DefaultDaemonConnections
	}
	if c.PingInterval <= 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = DefaultDaemonReadTimeout
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultDaemonWriteTimeout
	}
	if c.QueueLength <= 0 {
		c.QueueLength = DefaultQueueLength
	}
	if c.MaxInFlight <= 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Daemon is the reference daemon's WebSocket (wss://host:daemon_port/) for
// chianet's services, which run in the same process: it routes each
// message by its destination — to its own commands ("daemon"), to the
// routes of a service added with AddService (the same handlers as
// HTTPS), or to the sockets registered under that name — and sends the
// services' state-change notifications (Notify) to the sockets
// registered as their channel, e.g. "wallet_ui". See the package
// documentation for the commands and where chianet differs.
//
// All methods are safe for concurrent use.
type Daemon struct {
	cfg DaemonConfig
	log *slog.Logger
	tls *tls.Config

	mu       sync.Mutex
	services map[string]map[string]Handler // in-process services
	order    []string                      // their names, in AddService order
	conns    map[*wsConn]struct{}
	names    map[string]map[*wsConn]struct{} // register_service
	srv      *http.Server
	lns      []net.Listener
	served   chan struct{}
	started  bool
	closed   bool
	base     context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup // connection goroutines
}

// NewDaemon checks cfg and returns a Daemon that is not listening yet.
func NewDaemon(cfg DaemonConfig) (*Daemon, error) {
	cfg = cfg.withDefaults()
	if cfg.ListenAddr == "" {
		return nil, errors.New("rpc: no ListenAddr")
	}
	tc, err := serverTLS(cfg.TLS)
	if err != nil {
		return nil, err
	}
	if cfg.AllowTLS12 {
		tc.MinVersion = tls.VersionTLS12
		tc.CipherSuites = tls12Suites()
	}
	return &Daemon{
		cfg:      cfg,
		log:      cfg.Logger,
		tls:      tc,
		services: make(map[string]map[string]Handler),
		conns:    make(map[*wsConn]struct{}),
		names:    make(map[string]map[*wsConn]struct{}),
	}, nil
}

// AddService makes routes reachable as destination name, e.g.
// FullNodeService with FullNodeRoutes(...). A service cannot be
// registered over by a socket. Adding a name twice replaces its routes.
func (d *Daemon) AddService(name string, routes []Route) error {
	if name == "" || name == DaemonName {
		return fmt.Errorf("rpc: bad service name %q", name)
	}
	m := make(map[string]Handler, len(routes))
	for _, r := range routes {
		m[r.Name] = r.Handler
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.services[name]; !ok {
		d.order = append(d.order, name)
	}
	d.services[name] = m
	return nil
}

// Start binds the listeners and serves in the background until Close.
func (d *Daemon) Start(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.started || d.closed {
		return errors.New("rpc: Start called twice or after Close")
	}
	lns, err := listen(ctx, d.cfg.ListenAddr, d.log)
	if err != nil {
		return fmt.Errorf("rpc: daemon: %w", err)
	}
	d.base, d.cancel = context.WithCancel(context.WithoutCancel(ctx))
	d.srv = &http.Server{
		Handler:           http.HandlerFunc(d.serveHTTP),
		ReadHeaderTimeout: DefaultReadHeaderTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(d.log.Handler(), slog.LevelDebug),
	}
	d.lns = lns
	d.started = true
	// The cap is enforced at the upgrade (503); this bounds the sockets
	// still in their TLS handshake or HTTP request besides.
	limited := limitListeners(lns, int64(d.cfg.MaxConnections)+64, d.log, d.cfg.onAccept)
	d.served = serve(d.srv, limited, d.tls, d.log, "daemon stopped")
	d.log.Info("daemon listening", "addr", lns[0].Addr().String(), "addrs", addrStrings(lns))
	return nil
}

// Addr returns the first address the daemon listens on (127.0.0.1 for
// localhost); nil before Start.
func (d *Daemon) Addr() net.Addr {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.lns == nil {
		return nil
	}
	return d.lns[0].Addr()
}

// Addrs returns every address the daemon listens on: 127.0.0.1 and ::1
// for localhost; nil before Start.
func (d *Daemon) Addrs() []net.Addr {
	d.mu.Lock()
	defer d.mu.Unlock()
	return listenerAddrs(d.lns)
}

// Close stops listening and closes every connection, after writing what
// is queued for it (each write bounded by WriteTimeout), and waits for
// their goroutines or for ctx. It is idempotent.
func (d *Daemon) Close(ctx context.Context) error {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return nil
	}
	d.closed = true
	srv, served := d.srv, d.served
	conns := slices.Collect(maps.Keys(d.conns))
	d.mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Shutdown(ctx)
	if err != nil {
		_ = srv.Close()
	}
	<-served
	d.cancel()
	for _, c := range conns {
		c.shutdown()
	}
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		for _, c := range conns {
			closeNow(c.ws)
		}
		<-done
		if err == nil {
			err = ctx.Err()
		}
	}
	return err
}

// Listeners returns how many sockets are registered under name.
func (d *Daemon) Listeners(name string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.names[name])
}

// Notify sends a state-change notification, as the reference's
// RpcServer._state_changed does: command with data (an object; "success":
// true is added when missing), ack false, a fresh request_id, from origin
// (the service's name) to every socket registered under destination (a
// channel such as WalletUI or Metrics). It returns how many sockets it was
// queued for.
func (d *Daemon) Notify(origin, destination, command string, data any) (int, error) {
	targets := d.registered(destination)
	if len(targets) == 0 {
		return 0, nil
	}
	raw, _, err := appendAnswer(nil, data)
	if err != nil {
		return 0, fmt.Errorf("rpc: notification %s: %w", command, err)
	}
	b := encodeMessage(Message{Command: command, Data: raw, RequestID: newRequestID(),
		Destination: destination, Origin: origin})
	for _, c := range targets {
		c.send(b)
	}
	return len(targets), nil
}

// registered returns the sockets registered under name.
func (d *Daemon) registered(name string) []*wsConn {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Collect(maps.Keys(d.names[name]))
}

var upgrader = websocket.Upgrader{
	ReadBufferSize:  4096,
	WriteBufferSize: 4096,
	// Clients are authenticated by their certificate; browsers hold none.
	CheckOrigin: func(*http.Request) bool { return true },
}

func (d *Daemon) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.Error(w, "not found: the daemon serves a WebSocket at /", http.StatusNotFound)
		return
	}
	if !websocket.IsWebSocketUpgrade(r) {
		http.Error(w, "the daemon serves a WebSocket at /: send a WebSocket upgrade", http.StatusBadRequest)
		return
	}
	d.mu.Lock()
	full := len(d.conns) >= d.cfg.MaxConnections
	closed := d.closed
	d.mu.Unlock()
	if full || closed {
		http.Error(w, "too many daemon connections", http.StatusServiceUnavailable)
		return
	}
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		d.log.Debug("daemon upgrade failed", "remote", r.RemoteAddr, "err", err)
		return
	}
	c := newWSConn(d, ws, r.RemoteAddr)
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		closeNow(ws)
		return
	}
	d.conns[c] = struct{}{}
	d.wg.Add(1)
	d.mu.Unlock()
	d.log.Debug("daemon connection", "remote", r.RemoteAddr)
	c.run()
}

// remove forgets c and every name it registered, returning the names.
func (d *Daemon) remove(c *wsConn) []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	delete(d.conns, c)
	var names []string
	for name, set := range d.names {
		if _, ok := set[c]; ok {
			delete(set, c)
			names = append(names, name)
			if len(set) == 0 {
				delete(d.names, name)
			}
		}
	}
	return names
}

// service returns the in-process service called name.
func (d *Daemon) service(name string) (map[string]Handler, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	s, ok := d.services[name]
	return s, ok
}

// handle routes one message of c, from c's read loop.
func (d *Daemon) handle(c *wsConn, m Message) {
	if m.Destination == DaemonName {
		data := d.command(c, m)
		c.reply(m, data)
		if m.Command == "exit" && d.cfg.Exit != nil {
			d.cfg.Exit()
		}
		return
	}
	if routes, ok := d.service(m.Destination); ok {
		if m.Ack {
			return // a response to nothing we asked: ignored, as services do
		}
		if !c.acquire() {
			return
		}
		c.handlers.Go(func() {
			defer c.release()
			d.callService(c, routes, m)
		})
		return
	}
	// Anything else goes to the sockets registered under the
	// destination, or nowhere.
	targets := d.registered(m.Destination)
	if len(targets) == 0 {
		return
	}
	data, err := canonical(m.Data)
	if err != nil {
		return // m parsed, so its data is valid JSON
	}
	m.Data = data
	b := encodeMessage(m)
	for _, t := range targets {
		t.send(b)
	}
}

// callService runs a service route and sends the answer to the sockets
// registered under the request's origin, as the reference routes
// responses, and to the requesting socket if it is not one of them.
func (d *Daemon) callService(c *wsConn, routes map[string]Handler, m Message) {
	var body []byte
	if m.Command == "ping" {
		body = []byte(`{"success":true}`)
	} else if h, ok := routes[m.Command]; !ok {
		body, _ = marshalSorted(newError(CodeUnknown, "unknown_command %s", m.Command).envelope())
	} else if p, err := dataParams(m.Data); err != nil {
		body, _ = marshalSorted(newError(CodeUnknown, "%v", err).envelope())
	} else {
		ctx, cancel := context.WithTimeout(c.ctx, DefaultCallTimeout)
		body, _ = respond(nil, ctx, h, p, d.log, m.Command)
		cancel()
	}
	b := encodeMessage(responseTo(m, body))
	targets := d.registered(m.Origin)
	if !slices.Contains(targets, c) {
		targets = append(targets, c)
	}
	for _, t := range targets {
		t.send(b)
	}
}

// dataParams reads a message's data as a route's fields.
func dataParams(data json.RawMessage) (Params, error) {
	p, err := parseParams(data)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	return p, nil
}
