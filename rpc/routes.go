package rpc

import (
	"context"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

// Handler serves one route: it reads the request's fields from p and
// returns a value whose JSON is an object (a struct, a map; nil means
// {}), or an error. The server adds "success": true to an object without
// "success", and turns an error into the reference's error envelope (an
// *Error keeps its code, messages and data). ctx ends when the client goes
// away or the server closes.
type Handler func(ctx context.Context, p Params) (any, error)

// Route is a named Handler. Its name is the path without "/" over HTTPS
// and the command over the daemon's WebSocket.
type Route struct {
	// Name is e.g. "get_connections".
	Name string
	// Handler serves it.
	Handler Handler
}

// Options are what the routes every service shares need besides the
// service.
type Options struct {
	// Version is get_version's "version". Empty means
	// peer.DefaultSoftwareVersion, the version chianet's handshakes
	// announce: the reference release whose behaviour it follows.
	Version string
	// LogLevel is the level get_log_level reports and set_log_level and
	// reset_log_level change: the level of the service's slog handler.
	// Nil means a level of the routes' own, which affects nothing else.
	LogLevel *slog.LevelVar
	// ResetLogLevel is the level reset_log_level restores, as a Python
	// level name: the service's log_level in config.yaml. Empty means
	// "WARNING", the reference's default.
	ResetLogLevel string
}

func (o Options) withDefaults() Options {
	if o.Version == "" {
		o.Version = peer.DefaultSoftwareVersion
	}
	if o.ResetLogLevel == "" {
		o.ResetLogLevel = defaultLogLevel
	}
	if o.LogLevel == nil {
		o.LogLevel = new(slog.LevelVar)
		if l, ok := parseLevel(o.ResetLogLevel); ok {
			o.LogLevel.Set(l)
		}
	}
	return o
}

// SharedRoutes returns api followed by the routes every reference service
// has (the reference's RpcServer._routes): get_network_info,
// get_connections, open_connection, close_connection, stop_node,
// get_routes, get_version, healthz, get_log_level, set_log_level and
// reset_log_level. As in the reference, a shared route replaces an api
// route of the same name, and get_routes lists every route in this order.
func SharedRoutes(svc Service, opts Options, api []Route) []Route {
	opts = opts.withDefaults()
	var all []Route
	shared := []Route{
		{"get_network_info", func(context.Context, Params) (any, error) { return svc.NetworkInfo(), nil }},
		{"get_connections", func(_ context.Context, p Params) (any, error) { return getConnections(svc, p) }},
		{"open_connection", func(ctx context.Context, p Params) (any, error) { return openConnection(ctx, svc, p) }},
		{"close_connection", func(ctx context.Context, p Params) (any, error) { return closeConnection(ctx, svc, p) }},
		{"stop_node", func(context.Context, Params) (any, error) {
			svc.Stop()
			return nil, nil
		}},
		{"get_routes", func(context.Context, Params) (any, error) {
			names := make([]string, len(all))
			for i, r := range all {
				names[i] = "/" + r.Name
			}
			return map[string]any{"routes": names}, nil
		}},
		{"get_version", func(context.Context, Params) (any, error) {
			return map[string]any{"version": opts.Version}, nil
		}},
		{"healthz", func(context.Context, Params) (any, error) { return nil, nil }},
		{"get_log_level", func(context.Context, Params) (any, error) { return logLevelStatus(opts.LogLevel, nil), nil }},
		{"set_log_level", func(_ context.Context, p Params) (any, error) {
			name, ok, err := p.String("level")
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, paramError("level", "missing")
			}
			return setLogLevel(opts.LogLevel, name), nil
		}},
		{"reset_log_level", func(context.Context, Params) (any, error) {
			return setLogLevel(opts.LogLevel, opts.ResetLogLevel), nil
		}},
	}
	for _, r := range api {
		if i := slices.IndexFunc(shared, func(s Route) bool { return s.Name == r.Name }); i >= 0 {
			r = shared[i]
		}
		all = append(all, r)
	}
	for _, s := range shared {
		if !slices.ContainsFunc(all, func(r Route) bool { return r.Name == s.Name }) {
			all = append(all, s)
		}
	}
	return all
}

func getConnections(svc Service, p Params) (any, error) {
	t, filter, err := p.Uint("node_type", 255)
	if err != nil {
		return nil, err
	}
	if filter && !protocol.NodeType(t).Valid() {
		return nil, paramError("node_type", "%d is not a valid NodeType", t)
	}
	conns := svc.Connections()
	if filter {
		conns = slices.DeleteFunc(conns, func(c Connection) bool { return c.NodeType != protocol.NodeType(t) })
	}
	if conns == nil {
		conns = []Connection{} // [], not null
	}
	return map[string]any{"connections": conns}, nil
}

func openConnection(ctx context.Context, svc Service, p Params) (any, error) {
	host, ok, err := p.String("host")
	if err != nil {
		return nil, err
	}
	if !ok || host == "" {
		return nil, paramError("host", "missing")
	}
	port, ok, err := p.Uint16("port")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, paramError("port", "missing")
	}
	if err := svc.OpenConnection(ctx, host, port); err != nil {
		// As the reference: a plain failure, without structuredError.
		return map[string]any{
			"success": false,
			"error":   fmt.Sprintf("could not connect to %s: %v", net.JoinHostPort(host, fmt.Sprint(port)), err),
		}, nil
	}
	return nil, nil
}

// closeConnection closes the connection whose node id is node_id or
// starts with it (a chianet extension: the reference needs the whole id).
func closeConnection(ctx context.Context, svc Service, p Params) (any, error) {
	given, ok, err := p.String("node_id")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, paramError("node_id", "missing")
	}
	prefix := strings.ToLower(strings.TrimSpace(given))
	prefix = strings.TrimPrefix(prefix, "0x")
	if prefix == "" || len(prefix) > 64 || strings.Trim(prefix, "0123456789abcdef") != "" {
		return nil, paramError("node_id", "want a node id or its first hex digits, got %q", given)
	}
	var matches []protocol.Bytes32
	for _, c := range svc.Connections() {
		if strings.HasPrefix(hex.EncodeToString(c.NodeID[:]), prefix) && !slices.Contains(matches, c.NodeID) {
			matches = append(matches, c.NodeID)
		}
	}
	switch len(matches) {
	case 0:
		return nil, newError(CodeUnknown, "Connection with node_id %s does not exist", prefix)
	case 1:
		if err := svc.CloseConnection(ctx, matches[0]); err != nil {
			return nil, err
		}
		return nil, nil
	default:
		return nil, newError(CodeUnknown, "node_id %s matches %d connections; give more of its digits", prefix, len(matches))
	}
}

// protect runs h, turning a panic into an INTERNAL_ERROR.
func protect(ctx context.Context, h Handler, p Params, log *slog.Logger, name string) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			log.Error("rpc route panicked", "route", name, "panic", r, "stack", string(debug.Stack()))
			v, err = nil, newError(CodeInternalError, "internal error in %s: %v", name, r)
		}
	}()
	return h(ctx, p)
}

// respond runs route h and appends the reference's response body to b:
// the handler's object with "success" added, or the error envelope. It
// reports whether the call succeeded.
func respond(b []byte, ctx context.Context, h Handler, p Params, log *slog.Logger, name string) (body []byte, ok bool) {
	v, err := protect(ctx, h, p, log, name)
	if err == nil {
		if body, ok, err = appendAnswer(b, v); err == nil {
			return body, ok
		}
		log.Error("rpc route answered what cannot be sent", "route", name, "err", err)
		err = newError(CodeInternalError, "internal error in %s: %v", name, err)
	}
	body, encErr := appendSorted(b, asError(err).envelope())
	if encErr != nil {
		// Data that cannot be encoded: keep the messages.
		e := *asError(err)
		e.Data = nil
		body, _ = appendSorted(b, e.envelope())
	}
	return body, false
}

// appendAnswer appends v, a route's answer or a notification's data, as
// the reference's envelope of a success: v's object (nil is {}) with
// sorted keys and "success": true added when v has no "success". success
// is false when v says so itself.
func appendAnswer(b []byte, v any) (body []byte, success bool, err error) {
	m, isObject := v.(map[string]any)
	switch {
	case v == nil:
		m, isObject = map[string]any{}, true
	case !isObject:
		// Not a map: through its JSON.
		tree, err := toTree(v)
		if err != nil {
			return nil, false, err
		}
		if m, isObject = tree.(map[string]any); !isObject {
			return nil, false, fmt.Errorf("the answer is %s, not an object", kindOf(tree))
		}
	}
	if body, err = appendObject(b, m, true); err != nil {
		return nil, false, err
	}
	s, has := m["success"]
	return body, !has || s == true, nil
}
