package rpc

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/chianet/chianet/protocol"
)

// maxResponseBytes bounds a response a Client reads (get_blocks answers
// can be large).
const maxResponseBytes = 1 << 30

// Client calls the routes of one service, over HTTPS (NewClient) or
// through the daemon's WebSocket (DaemonClient.Service). Its typed
// helpers cover what a command line needs; Call reaches any route.
//
// A Client is safe for concurrent use.
type Client struct {
	// call sends one request and returns the response object.
	call  func(ctx context.Context, route string, req []byte) ([]byte, error)
	close func()
}

// NewClient returns a Client of the HTTPS RPC at baseURL, e.g.
// "https://localhost:8555", using tlsCfg (see ClientTLS).
func NewClient(baseURL string, tlsCfg *tls.Config) *Client {
	tr := &http.Transport{
		TLSClientConfig:     tlsCfg,
		TLSHandshakeTimeout: 30 * time.Second,
		MaxIdleConnsPerHost: 4,
		IdleConnTimeout:     90 * time.Second,
	}
	hc := &http.Client{Transport: tr}
	base := strings.TrimSuffix(baseURL, "/")
	return &Client{
		call: func(ctx context.Context, route string, req []byte) ([]byte, error) {
			hr, err := http.NewRequestWithContext(ctx, http.MethodPost, base+"/"+route, bytes.NewReader(req))
			if err != nil {
				return nil, err
			}
			hr.Header.Set("Content-Type", "application/json")
			hr.Header.Set("Accept", "application/json")
			resp, err := hc.Do(hr)
			if err != nil {
				return nil, fmt.Errorf("rpc: %s: %w", route, err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes))
			if err != nil {
				return nil, fmt.Errorf("rpc: %s: reading the response: %w", route, err)
			}
			return body, checkResponse(resp.StatusCode, body)
		},
		close: tr.CloseIdleConnections,
	}
}

// Close closes the Client's idle connections.
func (c *Client) Close() {
	if c.close != nil {
		c.close()
	}
}

// envelopeJSON is the part of every response a client checks.
type envelopeJSON struct {
	Success         *bool  `json:"success"`
	Error           string `json:"error"`
	StructuredError *struct {
		Code    string         `json:"code"`
		Message string         `json:"message"`
		Data    map[string]any `json:"data"`
	} `json:"structuredError"`
}

// checkResponse returns an *Error for a failed call: a status other than
// 200, or "success" false.
func checkResponse(status int, body []byte) error {
	var env envelopeJSON
	jsonErr := json.Unmarshal(body, &env)
	if status != http.StatusOK && (jsonErr != nil || env.Error == "") {
		msg := strings.TrimSpace(string(body))
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		return &Error{Status: status, Message: msg}
	}
	if jsonErr != nil {
		return fmt.Errorf("rpc: response is not a JSON object: %w", jsonErr)
	}
	if status == http.StatusOK && env.Success != nil && *env.Success {
		return nil
	}
	if env.Success == nil && status == http.StatusOK {
		return errors.New(`rpc: response has no "success"`)
	}
	e := &Error{Message: env.Error, Status: status}
	if status == http.StatusOK {
		e.Status = 0
	}
	if e.Message == "" {
		e.Message = "call failed without an error message"
	}
	if se := env.StructuredError; se != nil {
		e.Code, e.StructuredMessage, e.Data = ErrorCode(se.Code), se.Message, se.Data
	}
	return e
}

// Call sends req (nil for {}; anything encoding/json writes as an
// object) to route and decodes the response object into resp (nil to
// drop it). A response with "success" false is an *Error.
func (c *Client) Call(ctx context.Context, route string, req, resp any) error {
	body := []byte("{}")
	if req != nil {
		var err error
		if body, err = json.Marshal(req); err != nil {
			return fmt.Errorf("rpc: %s: encoding the request: %w", route, err)
		}
	}
	out, err := c.call(ctx, route, body)
	if err != nil {
		return err
	}
	if resp == nil {
		return nil
	}
	if err := json.Unmarshal(out, resp); err != nil {
		return fmt.Errorf("rpc: %s: decoding the response: %w", route, err)
	}
	return nil
}

// NetworkInfo calls get_network_info.
func (c *Client) NetworkInfo(ctx context.Context) (NetworkInfo, error) {
	var ni NetworkInfo
	err := c.Call(ctx, "get_network_info", nil, &ni)
	return ni, err
}

// Version calls get_version.
func (c *Client) Version(ctx context.Context) (string, error) {
	var r struct {
		Version string `json:"version"`
	}
	err := c.Call(ctx, "get_version", nil, &r)
	return r.Version, err
}

// Routes calls get_routes.
func (c *Client) Routes(ctx context.Context) ([]string, error) {
	var r struct {
		Routes []string `json:"routes"`
	}
	err := c.Call(ctx, "get_routes", nil, &r)
	return r.Routes, err
}

// Healthz calls healthz.
func (c *Client) Healthz(ctx context.Context) error { return c.Call(ctx, "healthz", nil, nil) }

// Connections calls get_connections; nodeType 0 means every node type.
func (c *Client) Connections(ctx context.Context, nodeType protocol.NodeType) ([]Connection, error) {
	req := map[string]any{}
	if nodeType != 0 {
		req["node_type"] = uint8(nodeType)
	}
	var r struct {
		Connections []Connection `json:"connections"`
	}
	err := c.Call(ctx, "get_connections", req, &r)
	return r.Connections, err
}

// OpenConnection calls open_connection.
func (c *Client) OpenConnection(ctx context.Context, host string, port uint16) error {
	return c.Call(ctx, "open_connection", map[string]any{"host": host, "port": port}, nil)
}

// CloseConnection calls close_connection with a node id in hex or, for
// chianet, its first digits.
func (c *Client) CloseConnection(ctx context.Context, nodeID string) error {
	return c.Call(ctx, "close_connection", map[string]any{"node_id": nodeID}, nil)
}

// StopNode calls stop_node.
func (c *Client) StopNode(ctx context.Context) error { return c.Call(ctx, "stop_node", nil, nil) }

// BlockchainState calls get_blockchain_state.
func (c *Client) BlockchainState(ctx context.Context) (BlockchainState, error) {
	var r struct {
		State BlockchainState `json:"blockchain_state"`
	}
	err := c.Call(ctx, "get_blockchain_state", nil, &r)
	return r.State, err
}

// BlockRecordByHeight calls get_block_record_by_height.
func (c *Client) BlockRecordByHeight(ctx context.Context, height uint32) (BlockRecord, error) {
	var r struct {
		Record BlockRecord `json:"block_record"`
	}
	err := c.Call(ctx, "get_block_record_by_height", map[string]any{"height": height}, &r)
	return r.Record, err
}

// Block calls get_block.
func (c *Client) Block(ctx context.Context, headerHash protocol.Bytes32) (*protocol.FullBlock, error) {
	var r struct {
		Block json.RawMessage `json:"block"`
	}
	if err := c.Call(ctx, "get_block", map[string]any{"header_hash": headerHash.String()}, &r); err != nil {
		return nil, err
	}
	b, err := blockFromJSON(r.Block)
	if err != nil {
		return nil, fmt.Errorf("rpc: get_block: %w", err)
	}
	return b, nil
}

// Blocks calls get_blocks for heights start to end-1.
func (c *Client) Blocks(ctx context.Context, start, end uint32) ([]*protocol.FullBlock, error) {
	var r struct {
		Blocks []json.RawMessage `json:"blocks"`
	}
	if err := c.Call(ctx, "get_blocks", map[string]any{"start": start, "end": end, "exclude_header_hash": true}, &r); err != nil {
		return nil, err
	}
	out := make([]*protocol.FullBlock, len(r.Blocks))
	for i, raw := range r.Blocks {
		b, err := blockFromJSON(raw)
		if err != nil {
			return nil, fmt.Errorf("rpc: get_blocks: block %d: %w", i, err)
		}
		out[i] = b
	}
	return out, nil
}

// Bans calls list_bans (chianet).
func (c *Client) Bans(ctx context.Context) ([]Ban, error) {
	var r struct {
		Bans []Ban `json:"bans"`
	}
	err := c.Call(ctx, "list_bans", nil, &r)
	return r.Bans, err
}

// Ban calls ban (chianet); d is rounded down to whole seconds.
func (c *Client) Ban(ctx context.Context, ip netip.Addr, d time.Duration) error {
	return c.Call(ctx, "ban", map[string]any{"ip": ip.String(), "seconds": int64(d / time.Second)}, nil)
}

// Unban calls unban (chianet) and reports whether ip was banned.
func (c *Client) Unban(ctx context.Context, ip netip.Addr) (bool, error) {
	var r struct {
		WasBanned bool `json:"was_banned"`
	}
	err := c.Call(ctx, "unban", map[string]any{"ip": ip.String()}, &r)
	return r.WasBanned, err
}

// LogLevel is get_log_level's answer.
type LogLevel struct {
	// Level is the current level's Python name, e.g. "WARNING".
	Level string `json:"level"`
	// AvailableLevels are the names set_log_level accepts.
	AvailableLevels []string `json:"available_levels"`
}

// LogLevel calls get_log_level.
func (c *Client) LogLevel(ctx context.Context) (LogLevel, error) {
	var l LogLevel
	err := c.Call(ctx, "get_log_level", nil, &l)
	return l, err
}

// SetLogLevel calls set_log_level with a Python level name.
func (c *Client) SetLogLevel(ctx context.Context, level string) error {
	return c.Call(ctx, "set_log_level", map[string]any{"level": level}, nil)
}
