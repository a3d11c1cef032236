package metrics

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/ratelimit"
	"github.com/chianet/chianet/server"
)

// Sources are read at every scrape. Nil fields leave their families out.
type Sources struct {
	// Connections returns the live connections.
	Connections func() []server.ConnectionInfo
	// Addresses returns the sizes of the address manager's new and tried
	// tables.
	Addresses func() (newCount, tried int)
	// PeakHeight returns the height of the heaviest peak announced by a
	// peer, and false when none was.
	PeakHeight func() (uint32, bool)
}

// Metrics holds a node's collectors. All methods are safe for concurrent
// use.
type Metrics struct {
	reg *prometheus.Registry

	messages, bytes *prometheus.CounterVec // type, direction
	// Counters resolved per type and direction on first use: a
	// CounterVec lookup hashes its labels, which the hot path skips.
	mu       sync.Mutex
	resolved map[counterKey][2]prometheus.Counter

	requests       *prometheus.HistogramVec // type, result
	rateLimits     *prometheus.CounterVec   // reason
	bans           *prometheus.CounterVec   // reason
	handshakeFails *prometheus.CounterVec   // reason
	dials          *prometheus.CounterVec   // outcome
}

type counterKey struct {
	t        protocol.MessageType
	outbound bool
}

// New returns a Metrics registered in a new registry, with the Go runtime
// and process collectors and the families of src.
func New(src Sources) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg:      reg,
		resolved: make(map[counterKey][2]prometheus.Counter),
		messages: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chianet_messages_total", Help: "Chia protocol messages by type and direction.",
		}, []string{"type", "direction"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chianet_message_bytes_total", Help: "Bytes of Chia protocol messages (encoded, header included) by type and direction.",
		}, []string{"type", "direction"}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "chianet_request_duration_seconds",
			Help:    "Time from sending a request to its reply or failure, by request type and result.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10), // 0.5 ms to about 131 s
		}, []string{"type", "result"}),
		rateLimits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chianet_rate_limit_events_total", Help: "Connections closed for exceeding a rate limit, a v3 window or a size limit, by reason.",
		}, []string{"reason"}),
		bans: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chianet_bans_total", Help: "Peers banned when their connection closed, by reason.",
		}, []string{"reason"}),
		handshakeFails: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chianet_handshake_failures_total", Help: "Connections that failed before their handshake completed, by reason.",
		}, []string{"reason"}),
		dials: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "chianet_dials_total", Help: "Outbound connection attempts by outcome.",
		}, []string{"outcome"}),
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.messages, m.bytes, m.requests, m.rateLimits, m.bans, m.handshakeFails, m.dials)
	if src.Connections != nil {
		reg.MustRegister(connections{src.Connections})
	}
	if src.Addresses != nil {
		desc := prometheus.NewDesc("chianet_addresses", "Addresses in the address manager's tables.", []string{"table"}, nil)
		reg.MustRegister(funcCollector{desc: desc, collect: func(ch chan<- prometheus.Metric) {
			n, tried := src.Addresses()
			ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, float64(n), "new")
			ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, float64(tried), "tried")
		}})
	}
	if src.PeakHeight != nil {
		desc := prometheus.NewDesc("chianet_peak_height", "Height of the heaviest peak a peer announced.", nil, nil)
		reg.MustRegister(funcCollector{desc: desc, collect: func(ch chan<- prometheus.Metric) {
			if h, ok := src.PeakHeight(); ok {
				ch <- prometheus.MustNewConstMetric(desc, prometheus.GaugeValue, float64(h))
			}
		}})
	}
	return m
}

// Registry returns the registry, to add collectors of other parts.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the metrics in Prometheus' exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

func direction(outbound bool) string {
	if outbound {
		return "sent"
	}
	return "received"
}

// counters returns the message and byte counters of t in a direction.
func (m *Metrics) counters(t protocol.MessageType, outbound bool) [2]prometheus.Counter {
	k := counterKey{t, outbound}
	m.mu.Lock()
	defer m.mu.Unlock()
	c, ok := m.resolved[k]
	if !ok {
		name, dir := t.String(), direction(outbound)
		c = [2]prometheus.Counter{m.messages.WithLabelValues(name, dir), m.bytes.WithLabelValues(name, dir)}
		m.resolved[k] = c
	}
	return c
}

// MessageReceived implements peer.Observer.
func (m *Metrics) MessageReceived(t protocol.MessageType, size int) {
	c := m.counters(t, false)
	c[0].Inc()
	c[1].Add(float64(size))
}

// MessageSent implements peer.Observer.
func (m *Metrics) MessageSent(t protocol.MessageType, size int) {
	c := m.counters(t, true)
	c[0].Inc()
	c[1].Add(float64(size))
}

// RequestDone implements peer.Observer.
func (m *Metrics) RequestDone(t protocol.MessageType, d time.Duration, err error) {
	result := "reply"
	var rej *peer.RejectError
	switch {
	case err == nil:
	case errors.As(err, &rej):
		result = "rejected"
	case errors.Is(err, peer.ErrRequestTimeout):
		result = "timeout"
	case errors.Is(err, peer.ErrClosed):
		result = "closed"
	default:
		result = "error"
	}
	m.requests.WithLabelValues(t.String(), result).Observe(d.Seconds())
}

var _ peer.Observer = (*Metrics)(nil)

// Closed records why a connection closed; use it as (or call it from) a
// peer.Config.OnClose.
func (m *Metrics) Closed(p *peer.Peer, r *peer.CloseReason) {
	reason := Reason(r)
	if p.Info().NodeType == 0 {
		// The handshake never completed.
		m.handshakeFails.WithLabelValues(reason).Inc()
	}
	if r.Ban > 0 {
		m.bans.WithLabelValues(reason).Inc()
	}
	switch {
	case errors.Is(r, peer.ErrRateLimited), errors.Is(r, peer.ErrWindowExceeded), errors.Is(r, peer.ErrMessageTooBig):
		label := reason
		var v *ratelimit.Violation
		if errors.As(r, &v) {
			label = "rate_limit_" + strings.ReplaceAll(v.Reason, " ", "_")
		}
		m.rateLimits.WithLabelValues(label).Inc()
	}
}

// Reason names the cause of a close for a metric label: one word per
// peer.Err… cause, "closed" for a plain close.
func Reason(r *peer.CloseReason) string {
	for _, c := range reasons {
		if errors.Is(r, c.err) {
			return c.name
		}
	}
	if r.Remote {
		return "remote_close"
	}
	return "closed"
}

var reasons = []struct {
	err  error
	name string
}{
	{peer.ErrSelfConnection, "self_connection"},
	{peer.ErrNetworkID, "network_id"},
	{peer.ErrHandshakeTimeout, "handshake_timeout"},
	{peer.ErrHandshakeValue, "handshake_value"},
	{peer.ErrRateLimited, "rate_limit"},
	{peer.ErrWindowExceeded, "v3_window"},
	{peer.ErrMessageTooBig, "message_too_big"},
	{peer.ErrInvalidHandshake, "invalid_handshake"},
	{peer.ErrInvalidMessage, "invalid_message"},
	{peer.ErrTextFrame, "text_frame"},
	{peer.ErrNoHandler, "no_handler"},
	{peer.ErrSenderNotAllowed, "sender_not_allowed"},
	{peer.ErrHandlerFailed, "handler_failed"},
	{peer.ErrWrongReply, "wrong_reply"},
	{peer.ErrPongTimeout, "pong_timeout"},
	{peer.ErrIdle, "idle"},
	{peer.ErrNoRequestIDs, "no_request_ids"},
	{peer.ErrRefused, "refused"},
	{peer.ErrConnection, "connection_lost"},
}

// Dialed records the outcome of a dial; use it as server.Config.OnDial.
func (m *Metrics) Dialed(_ string, err error) {
	m.dials.WithLabelValues(DialOutcome(err)).Inc()
}

// DialOutcome names the outcome of server.Server.Dial for a metric label.
func DialOutcome(err error) string {
	var cr *peer.CloseReason
	switch {
	case err == nil:
		return "connected"
	case errors.Is(err, server.ErrDuplicate):
		return "duplicate"
	case errors.Is(err, server.ErrSelfAddress), errors.Is(err, peer.ErrSelfConnection):
		return "self"
	case errors.Is(err, server.ErrBanned):
		return "banned"
	case errors.Is(err, server.ErrServerClosed):
		return "shutdown"
	case errors.As(err, &cr):
		return "handshake_failed"
	default:
		return "unreachable"
	}
}

// connections collects the live connections by node type and direction.
type connections struct {
	list func() []server.ConnectionInfo
}

var connDesc = prometheus.NewDesc("chianet_connections", "Live connections by node type and direction.",
	[]string{"node_type", "direction"}, nil)

func (c connections) Describe(ch chan<- *prometheus.Desc) { ch <- connDesc }

func (c connections) Collect(ch chan<- prometheus.Metric) {
	type key struct {
		t   protocol.NodeType
		out bool
	}
	counts := make(map[key]int)
	// Every node type and direction is reported, zeros included, so a
	// dashboard sees a family that dropped to zero.
	for t := protocol.NodeType(1); t.Valid(); t++ {
		counts[key{t, false}], counts[key{t, true}] = 0, 0
	}
	for _, ci := range c.list() {
		counts[key{ci.Info.NodeType, ci.Info.Outbound}]++
	}
	for k, n := range counts {
		dir := "inbound"
		if k.out {
			dir = "outbound"
		}
		ch <- prometheus.MustNewConstMetric(connDesc, prometheus.GaugeValue, float64(n), nodeTypeName(k.t), dir)
	}
}

// nodeTypeName is the lower-case name of a node type, e.g. "full_node".
func nodeTypeName(t protocol.NodeType) string {
	if !t.Valid() {
		return "unknown_" + strconv.Itoa(int(t))
	}
	return strings.ToLower(t.String())
}

// funcCollector is one family produced by a function at scrape time.
type funcCollector struct {
	desc    *prometheus.Desc
	collect func(chan<- prometheus.Metric)
}

func (f funcCollector) Describe(ch chan<- *prometheus.Desc) { ch <- f.desc }
func (f funcCollector) Collect(ch chan<- prometheus.Metric) { f.collect(ch) }
