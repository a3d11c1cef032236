package rpc

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// wsConn is one daemon WebSocket connection. Its read loop runs on the
// HTTP handler's goroutine (run); a writer goroutine owns all writes, fed
// by a bounded queue, and pings; service calls run on goroutines of their
// own, at most MaxInFlight at once.
type wsConn struct {
	d      *Daemon
	ws     *websocket.Conn
	remote string

	out      chan []byte
	closing  chan struct{} // closed by shutdown
	once     sync.Once
	inflight chan struct{} // semaphore of service calls
	handlers sync.WaitGroup
	ctx      context.Context // ends the service calls when the connection ends
	cancel   context.CancelFunc
}

func newWSConn(d *Daemon, ws *websocket.Conn, remote string) *wsConn {
	ctx, cancel := context.WithCancel(d.base)
	return &wsConn{
		d:        d,
		ws:       ws,
		remote:   remote,
		out:      make(chan []byte, d.cfg.QueueLength),
		closing:  make(chan struct{}),
		inflight: make(chan struct{}, d.cfg.MaxInFlight),
		ctx:      ctx,
		cancel:   cancel,
	}
}

// run reads until the connection fails or is shut down, then cleans up.
func (c *wsConn) run() {
	defer c.d.wg.Done()
	var writer sync.WaitGroup
	writer.Go(c.writeLoop)
	c.readLoop()
	names := c.d.remove(c)
	c.shutdown()
	c.cancel()
	c.handlers.Wait()
	writer.Wait()
	closeNow(c.ws)
	c.d.log.Debug("daemon connection closed", "remote", c.remote, "services", names)
}

func (c *wsConn) readLoop() {
	cfg := &c.d.cfg
	c.ws.SetReadLimit(cfg.MaxMessageBytes)
	extend := func() { _ = c.ws.SetReadDeadline(time.Now().Add(cfg.ReadTimeout)) }
	extend()
	c.ws.SetPongHandler(func(string) error { extend(); return nil })
	for {
		kind, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		extend()
		if kind != websocket.TextMessage {
			// The reference drops a connection sending anything but text.
			c.d.log.Debug("daemon connection sent a non-text message", "remote", c.remote)
			return
		}
		var m Message
		if err := json.Unmarshal(data, &m); err != nil {
			c.reply(Message{}, map[string]any{"success": false, "error": "invalid message: " + err.Error()})
			continue
		}
		c.d.handle(c, m)
		select {
		case <-c.closing:
			return
		default:
		}
	}
}

// writeLoop writes the queued messages and the pings; once shut down it
// writes what is still queued and a close frame.
func (c *wsConn) writeLoop() {
	cfg := &c.d.cfg
	ping := time.NewTicker(cfg.PingInterval)
	defer ping.Stop()
	write := func(b []byte) bool {
		_ = c.ws.SetWriteDeadline(time.Now().Add(cfg.WriteTimeout))
		return c.ws.WriteMessage(websocket.TextMessage, b) == nil
	}
	for {
		select {
		case b := <-c.out:
			if !write(b) {
				c.shutdown()
				closeNow(c.ws) // ends the read loop
				return
			}
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(cfg.WriteTimeout)); err != nil {
				c.shutdown()
				closeNow(c.ws)
				return
			}
		case <-c.closing:
			for {
				select {
				case b := <-c.out:
					if !write(b) {
						closeNow(c.ws)
						return
					}
					continue
				default:
				}
				break
			}
			_ = c.ws.WriteControl(websocket.CloseMessage,
				websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(cfg.WriteTimeout))
			closeNow(c.ws) // ends the read loop
			return
		}
	}
}

// closeNow closes the socket under ws at once. Closing the tls.Conn
// instead would first send a close_notify alert, waiting up to 5 s for a
// peer that does not read.
func closeNow(ws *websocket.Conn) {
	nc := ws.NetConn()
	if tc, ok := nc.(*tls.Conn); ok {
		nc = tc.NetConn()
	}
	_ = nc.Close()
}

// send queues b; a connection whose queue is full is too slow and is
// closed, so that nobody waits for it.
func (c *wsConn) send(b []byte) {
	select {
	case <-c.closing:
		return
	default:
	}
	select {
	case c.out <- b:
	default:
		c.d.log.Warn("daemon connection not reading its messages; closing it", "remote", c.remote,
			"queued", len(c.out))
		c.shutdown()
	}
}

// shutdown asks the writer to finish; it is idempotent.
func (c *wsConn) shutdown() { c.once.Do(func() { close(c.closing) }) }

// acquire takes a service-call slot, waiting while all are busy; false
// once the connection is shutting down.
func (c *wsConn) acquire() bool {
	select {
	case c.inflight <- struct{}{}:
		return true
	case <-c.closing:
		return false
	}
}

func (c *wsConn) release() { <-c.inflight }
