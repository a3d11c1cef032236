package rpc

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// ErrClientClosed is returned by calls of a closed DaemonClient.
var ErrClientClosed = errors.New("rpc: daemon connection closed")

// notificationBuffer is how many notifications a DaemonClient holds for
// its reader.
const notificationBuffer = 256

// DaemonClient is a connection to a daemon's WebSocket, chianet's or the
// reference's: it sends requests to the daemon or to a service through it
// and receives the notifications of the channels it registered for.
//
// It is safe for concurrent use.
type DaemonClient struct {
	ws     *websocket.Conn
	origin string

	wmu sync.Mutex // one writer at a time

	mu      sync.Mutex
	pending map[string]chan Message
	err     error

	notes   chan Message
	dropped atomic.Uint64
	done    chan struct{} // closed when the read loop ends
}

// DialDaemon connects to the daemon at url, e.g. "wss://localhost:55400/",
// with tlsCfg (see ClientTLS), and registers origin (the name replies are
// routed to; empty means "chianet_client_<random>"), as the reference's
// daemon sends a service's replies only to sockets registered under the
// requester's origin.
func DialDaemon(ctx context.Context, url string, tlsCfg *tls.Config, origin string) (*DaemonClient, error) {
	dialer := websocket.Dialer{TLSClientConfig: tlsCfg, HandshakeTimeout: 30 * time.Second}
	ws, resp, err := dialer.DialContext(ctx, url, http.Header{})
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("rpc: dialing the daemon: %w (HTTP %s)", err, resp.Status)
		}
		return nil, fmt.Errorf("rpc: dialing the daemon: %w", err)
	}
	ws.SetReadLimit(DefaultMaxMessageBytes)
	if origin == "" {
		origin = "chianet_client_" + newRequestID()[:16]
	}
	c := &DaemonClient{
		ws:      ws,
		origin:  origin,
		pending: make(map[string]chan Message),
		notes:   make(chan Message, notificationBuffer),
		done:    make(chan struct{}),
	}
	go c.readLoop()
	if err := c.Register(ctx, origin); err != nil {
		_ = c.Close()
		return nil, err
	}
	return c, nil
}

// Origin returns the name the client sends as its origin.
func (c *DaemonClient) Origin() string { return c.origin }

func (c *DaemonClient) readLoop() {
	defer close(c.done)
	var err error
	for {
		var data []byte
		_, data, err = c.ws.ReadMessage()
		if err != nil {
			break
		}
		var m Message
		if json.Unmarshal(data, &m) != nil {
			continue
		}
		if m.Ack {
			c.mu.Lock()
			ch, ok := c.pending[m.RequestID]
			delete(c.pending, m.RequestID)
			c.mu.Unlock()
			if ok {
				ch <- m
			}
			continue
		}
		select {
		case c.notes <- m:
		default:
			c.dropped.Add(1)
		}
	}
	c.mu.Lock()
	c.err = fmt.Errorf("%w: %v", ErrClientClosed, err)
	for id, ch := range c.pending {
		close(ch)
		delete(c.pending, id)
	}
	c.mu.Unlock()
	close(c.notes)
}

// Request sends command with data (nil for {}) to destination ("daemon"
// or a service) and returns the response message. The response's data is
// not checked; see Service for calls that are.
func (c *DaemonClient) Request(ctx context.Context, destination, command string, data any) (Message, error) {
	raw := json.RawMessage("{}")
	if data != nil {
		b, err := marshalSorted(data)
		if err != nil {
			return Message{}, fmt.Errorf("rpc: %s: encoding the request: %w", command, err)
		}
		raw = b
	}
	m := Message{Command: command, Data: raw, RequestID: newRequestID(), Destination: destination, Origin: c.origin}
	b := encodeMessage(m)
	var err error
	ch := make(chan Message, 1)
	c.mu.Lock()
	if c.err != nil {
		err := c.err
		c.mu.Unlock()
		return Message{}, err
	}
	c.pending[m.RequestID] = ch
	c.mu.Unlock()
	forget := func() {
		c.mu.Lock()
		delete(c.pending, m.RequestID)
		c.mu.Unlock()
	}

	c.wmu.Lock()
	if dl, ok := ctx.Deadline(); ok {
		_ = c.ws.SetWriteDeadline(dl)
	} else {
		_ = c.ws.SetWriteDeadline(time.Time{})
	}
	err = c.ws.WriteMessage(websocket.TextMessage, b)
	c.wmu.Unlock()
	if err != nil {
		forget()
		return Message{}, fmt.Errorf("rpc: %s: %w", command, err)
	}
	select {
	case r, ok := <-ch:
		if !ok {
			c.mu.Lock()
			err := c.err
			c.mu.Unlock()
			return Message{}, err
		}
		return r, nil
	case <-ctx.Done():
		forget()
		return Message{}, fmt.Errorf("rpc: %s: %w", command, ctx.Err())
	}
}

// Register registers the connection under name (register_service): it
// then receives the messages sent to name, e.g. WalletUI notifications.
func (c *DaemonClient) Register(ctx context.Context, name string) error {
	r, err := c.Request(ctx, DaemonName, "register_service", map[string]any{"service": name})
	if err != nil {
		return err
	}
	return checkResponse(http.StatusOK, r.Data)
}

// Notifications returns the channel of the messages the daemon sends
// unasked (notifications, and requests forwarded to names this client
// registered). It holds the latest 256; later ones are dropped (see
// Dropped) while it is full. It is closed when the connection ends.
func (c *DaemonClient) Notifications() <-chan Message { return c.notes }

// Dropped returns how many notifications were dropped because
// Notifications was full.
func (c *DaemonClient) Dropped() uint64 { return c.dropped.Load() }

// Done is closed when the connection has ended.
func (c *DaemonClient) Done() <-chan struct{} { return c.done }

// Service returns a Client of the service called name (e.g.
// FullNodeService) through the daemon. Closing it does nothing; close the
// DaemonClient.
func (c *DaemonClient) Service(name string) *Client {
	return &Client{call: func(ctx context.Context, route string, req []byte) ([]byte, error) {
		r, err := c.Request(ctx, name, route, json.RawMessage(req))
		if err != nil {
			return nil, err
		}
		return r.Data, checkResponse(http.StatusOK, r.Data)
	}}
}

// Close sends a close frame, closes the connection and waits for its
// reader.
func (c *DaemonClient) Close() error {
	c.wmu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage,
		websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
	c.wmu.Unlock()
	closeNow(c.ws)
	<-c.done
	return nil
}
