package rpc

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Reference ports (cb:chia/util/initial-config.yaml).
const (
	// FullNodePort is the full node's rpc_port.
	FullNodePort = 8555
	// CrawlerPort is the seeder crawler's rpc_port.
	CrawlerPort = 8561
	// DaemonPort is the daemon's WebSocket port (daemon_port).
	DaemonPort = 55400
)

// Defaults of the zero Config fields.
const (
	// DefaultMaxBodyBytes is the reference's max_request_body_size: 1 MiB.
	DefaultMaxBodyBytes = 1 << 20
	// DefaultMaxConnections caps the connections open at once.
	DefaultMaxConnections = 512
	// DefaultReadHeaderTimeout bounds the TLS handshake and the request
	// headers.
	DefaultReadHeaderTimeout = 10 * time.Second
	// DefaultReadTimeout bounds the whole request, body included.
	DefaultReadTimeout = 30 * time.Second
	// DefaultWriteTimeout bounds the writing of a response once the route
	// has answered.
	DefaultWriteTimeout = 60 * time.Second
	// DefaultIdleTimeout closes kept-alive connections idle this long.
	DefaultIdleTimeout = 120 * time.Second
	// DefaultCallTimeout bounds a route's work: the reference's clients
	// give up after rpc_timeout, 300 s.
	DefaultCallTimeout = 300 * time.Second
)

// Config configures a Server. TLS, ListenAddr and Routes are required;
// every other zero field has a documented default.
type Config struct {
	// Name is the service's name, e.g. FullNodeService, for logs.
	Name string
	// Routes are the routes served, e.g. FullNodeRoutes(...). Required.
	Routes []Route
	// ListenAddr is the "host:port" to listen on, the reference's
	// self_hostname and rpc_port, e.g. "localhost:8555". A host of
	// localhost is not looked up: the server listens on 127.0.0.1 and,
	// when the machine has an IPv6 loopback, on ::1 with the same port.
	// Port 0 takes any free port (see Server.Addr). Required.
	ListenAddr string
	// TLS is the server's TLS config; it must require and verify client
	// certificates (see ServerTLS). TLS 1.3 is the minimum whatever it
	// says. Required.
	TLS *tls.Config

	// MaxBodyBytes bounds a request body; a larger one is answered 413.
	// Zero means DefaultMaxBodyBytes.
	MaxBodyBytes int64
	// MaxConnections caps the connections open at once; one over the cap
	// is closed as soon as it is accepted. Zero means
	// DefaultMaxConnections.
	MaxConnections int
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout and
	// CallTimeout: zero means the Default of the same name.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	CallTimeout       time.Duration

	// Logger receives the server's log records. Nil discards.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.MaxConnections <= 0 {
		c.MaxConnections = DefaultMaxConnections
	}
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = DefaultCallTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Server is the HTTPS JSON RPC server of one service: every route is
// POST /<name>, answered with the reference's envelope. It holds no
// state of the service: its routes call the service.
//
// A Server is also an http.Handler. All methods are safe for concurrent
// use.
type Server struct {
	cfg    Config
	log    *slog.Logger
	routes map[string]Handler
	tls    *tls.Config

	mu      sync.Mutex
	srv     *http.Server
	lns     []net.Listener
	served  chan struct{} // closed when every Serve has returned
	started bool
	closed  bool
	cancel  context.CancelFunc // ends the contexts of running routes
}

// NewServer checks cfg and returns a Server that is not listening yet.
func NewServer(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if cfg.ListenAddr == "" {
		return nil, errors.New("rpc: no ListenAddr")
	}
	if len(cfg.Routes) == 0 {
		return nil, errors.New("rpc: no routes")
	}
	tc, err := serverTLS(cfg.TLS)
	if err != nil {
		return nil, err
	}
	routes := make(map[string]Handler, len(cfg.Routes))
	for _, r := range cfg.Routes {
		if r.Name == "" || strings.Contains(r.Name, "/") || r.Handler == nil {
			return nil, fmt.Errorf("rpc: bad route %q", r.Name)
		}
		if _, dup := routes[r.Name]; dup {
			return nil, fmt.Errorf("rpc: route %q given twice", r.Name)
		}
		routes[r.Name] = r.Handler
	}
	return &Server{cfg: cfg, log: cfg.Logger, routes: routes, tls: tc}, nil
}

// Start binds the listeners and serves in the background until Close.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.closed {
		return errors.New("rpc: Start called twice or after Close")
	}
	lns, err := listen(ctx, s.cfg.ListenAddr, s.log)
	if err != nil {
		return fmt.Errorf("rpc: %w", err)
	}
	base, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s.srv = &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	s.lns = lns
	s.cancel = cancel
	s.started = true
	s.served = serve(s.srv, limitListeners(lns, int64(s.cfg.MaxConnections), s.log, nil), s.tls, s.log, "rpc server stopped")
	s.log.Info("rpc server listening", "service", s.cfg.Name, "addr", lns[0].Addr().String(), "addrs", addrStrings(lns))
	return nil
}

// Addr returns the first address the server listens on (127.0.0.1 for
// localhost), with the real port when ListenAddr asked for port 0; nil
// before Start.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.lns == nil {
		return nil
	}
	return s.lns[0].Addr()
}

// Addrs returns every address the server listens on: 127.0.0.1 and ::1
// for localhost; nil before Start.
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	return listenerAddrs(s.lns)
}

// Close stops listening, waits for the calls under way until ctx ends,
// then cancels the contexts of those left and closes every connection.
// It is idempotent.
func (s *Server) Close(ctx context.Context) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	srv, served, cancel := s.srv, s.served, s.cancel
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Shutdown(ctx)
	cancel()
	if err != nil {
		_ = srv.Close()
	}
	<-served
	return err
}

// ServeHTTP answers one request: 404 for an unknown route, 405 for a
// method other than POST, 413 for a body over MaxBodyBytes, 400 for a body
// that is not a JSON object; each with a JSON error envelope. Otherwise
// the route's answer, with status 200 whether it succeeded or not, as the
// reference answers.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := strings.TrimPrefix(r.URL.Path, "/")
	h, ok := s.routes[name]
	if !ok {
		s.fail(w, http.StatusNotFound, "unknown route %q; POST /get_routes lists the routes", r.URL.Path)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		s.fail(w, http.StatusMethodNotAllowed, "%s takes POST, not %s", r.URL.Path, r.Method)
		return
	}
	limit := s.cfg.MaxBodyBytes
	var body []byte
	var err error
	if r.ContentLength <= limit {
		body, err = io.ReadAll(io.LimitReader(r.Body, limit+1))
	}
	if r.ContentLength > limit || int64(len(body)) > limit {
		s.tooLarge(w, r)
		return
	}
	if err != nil {
		s.fail(w, http.StatusBadRequest, "reading the request body: %v", err)
		return
	}
	params, err := parseParams(body)
	if err != nil {
		s.fail(w, http.StatusBadRequest, "%v", err)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.CallTimeout)
	buf := bodyBuffers.Get().(*[]byte)
	resp, succeeded := respond((*buf)[:0], ctx, h, params, s.log, name)
	cancel()
	s.log.Debug("rpc call", "route", name, "success", succeeded, "remote", r.RemoteAddr)
	s.write(w, http.StatusOK, resp)
	if cap(resp) <= maxPooledBody { // Write keeps no reference to resp
		*buf = resp[:0]
		bodyBuffers.Put(buf)
	}
}

// bodyBuffers hold answers' bodies for reuse: get_connections' answer is
// 40 kB, and growing a fresh one per call cost more than encoding it. A
// new one starts at 64 KiB, which most answers fit without growing.
var bodyBuffers = sync.Pool{New: func() any {
	b := make([]byte, 0, 64<<10)
	return &b
}}

// maxPooledBody bounds the buffers kept in bodyBuffers, so that one large
// answer (get_blocks) does not stay in memory.
const maxPooledBody = 1 << 20

// maxDiscard is how much of a too-large body is read and dropped so that
// the client, still sending it, gets to read the 413 rather than a reset
// connection.
const maxDiscard = 16 << 20

func (s *Server) tooLarge(w http.ResponseWriter, r *http.Request) {
	_, _ = io.CopyN(io.Discard, r.Body, maxDiscard)
	w.Header().Set("Connection", "close")
	s.fail(w, http.StatusRequestEntityTooLarge, "the request body is over the %d-byte limit", s.cfg.MaxBodyBytes)
}

// fail answers a request that reached no route.
func (s *Server) fail(w http.ResponseWriter, status int, format string, args ...any) {
	e := newError(CodeUnknown, format, args...)
	e.Data = map[string]any{"http_status": status}
	b, _ := marshalSorted(e.envelope())
	s.log.Debug("rpc request refused", "status", status, "err", e.Message)
	s.write(w, status, b)
}

func (s *Server) write(w http.ResponseWriter, status int, body []byte) {
	_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.cfg.WriteTimeout))
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
