package peer_test

// Transport benchmarks: a chianet connection against raw WebSocket and
// bare TLS baselines over the same loopback, the same mutual TLS and the
// same certificates (a CHIA_ROOT tree made by chiatls in a temp dir:
// RSA-2048 keys under the public chia CA). Each benchmark's
// sub-benchmarks run in one process, so a ratio between two of them is
// read from the same run. Peers are exempt (as localhost is in the
// reference), so rate limits never hold a message back: these measure the
// transport. See BENCHMARKS.md for the numbers and the commands.
//
// Variants:
//
//	peer           chianet on gorilla/websocket (internal/ws, the real code)
//	peer-coder     the same peer code on coder/websocket (ws.Coder)
//	rawws-coder    a bare coder/websocket connection
//	rawws-gorilla  a bare gorilla/websocket connection
//	rawws-gorilla-demux  the same, its replies read by another goroutine
//	rawtls         a bare crypto/tls connection
//	rawtls-fresh   the same, reading each bulk message into a new buffer

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"testing"

	"github.com/coder/websocket"
	gws "github.com/gorilla/websocket"

	"github.com/chianet/chianet/internal/ws"
	"github.com/chianet/chianet/peer"
	"github.com/chianet/chianet/protocol"
)

// serveBench serves h over TLS with conf on 127.0.0.1:0 and returns the
// address. Its cleanup, which runs after those registered later (the
// clients'), stops the server and waits for every handler, hijacked ones
// included.
func serveBench(tb testing.TB, h http.Handler, conf *tls.Config) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	// A handler joins handlers under mu only while the server is open, so
	// every Add happens before the cleanup's Wait: the race detector
	// reports a first Add that is not ordered before Wait.
	var (
		mu       sync.Mutex
		closed   bool
		handlers sync.WaitGroup
	)
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			if closed {
				mu.Unlock()
				return
			}
			handlers.Add(1)
			mu.Unlock()
			defer handlers.Done()
			h.ServeHTTP(w, r)
		}),
		ErrorLog: log.New(io.Discard, "", 0),
	}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(tls.NewListener(ln, conf))
	}()
	tb.Cleanup(func() {
		_ = srv.Close()
		<-served
		mu.Lock()
		closed = true
		mu.Unlock()
		handlers.Wait()
	})
	return ln.Addr().String()
}

// serveTLS accepts bare TLS connections with conf on 127.0.0.1:0 and
// runs serve on each after its handshake, until the test's cleanup, which
// closes the listener and waits for every serve call.
func serveTLS(tb testing.TB, conf *tls.Config, serve func(c *tls.Conn)) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var conns sync.WaitGroup
	conns.Add(1)
	go func() {
		defer conns.Done()
		for {
			raw, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer conns.Done()
				c := tls.Server(raw, conf)
				defer c.Close()
				if c.Handshake() == nil {
					serve(c)
				}
			}()
		}
	}()
	tb.Cleanup(func() {
		_ = ln.Close()
		conns.Wait()
	})
	return ln.Addr().String()
}

// dialTLS opens a bare mutual-TLS connection to addr.
func dialTLS(ctx context.Context, addr string, conf *tls.Config) (*tls.Conn, error) {
	raw, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	c := tls.Client(raw, conf)
	if err := c.HandshakeContext(ctx); err != nil {
		_ = raw.Close()
		return nil, err
	}
	return c, nil
}

// dialCoder opens a bare coder/websocket client connection to addr,
// without compression, the way dialWS does.
func dialCoder(ctx context.Context, addr string, conf *tls.Config) (*websocket.Conn, error) {
	tr := &http.Transport{
		DialTLSContext: func(ctx context.Context, _, addr string) (net.Conn, error) {
			return dialTLS(ctx, addr, conf)
		},
		DisableKeepAlives: true,
	}
	defer tr.CloseIdleConnections()
	c, _, err := websocket.Dial(ctx, "wss://"+addr+"/ws", &websocket.DialOptions{HTTPClient: &http.Client{Transport: tr}})
	if err != nil {
		return nil, err
	}
	c.SetReadLimit(-1)
	return c, nil
}

// dialGorillaRaw opens a bare gorilla/websocket client connection.
func dialGorillaRaw(ctx context.Context, addr string, conf *tls.Config) (*gws.Conn, error) {
	d := &gws.Dialer{TLSClientConfig: conf}
	c, _, err := d.DialContext(ctx, "wss://"+addr+"/ws", nil)
	return c, err
}

// coderServer upgrades every request with coder/websocket and runs serve.
func coderServer(serve func(c *websocket.Conn)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
		if err != nil {
			return
		}
		defer c.CloseNow()
		c.SetReadLimit(-1)
		serve(c)
	})
}

// gorillaServer upgrades every request with gorilla/websocket and runs
// serve.
func gorillaServer(serve func(c *gws.Conn)) http.Handler {
	u := gws.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := u.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		serve(c)
	})
}

// peerLib selects the WebSocket library under the peer code.
type peerLib struct {
	name string
	lib  ws.Library
}

var peerLibs = []peerLib{{"peer", ws.Gorilla}, {"peer-coder", ws.Coder}}

// dial is peer.Dial on the library.
func (l peerLib) dial(ctx context.Context, addr string, cfg peer.Config) (*peer.Peer, error) {
	peer.SetLibrary(&cfg, l.lib)
	return peer.Dial(ctx, addr, cfg)
}

// handler returns h on the library.
func (l peerLib) handler(h *peer.Handler) http.Handler {
	peer.SetLibrary(&h.Config, l.lib)
	return h
}

// benchPeers is an established, exempt chianet connection.
type benchPeers struct {
	dialer, listener *peer.Peer
}

// connectPeers serves a Handler with listenerCfg and dials it with
// dialerCfg (both exempt); both peers are closed at cleanup.
func connectPeers(tb testing.TB, lib peerLib, listenerCfg, dialerCfg peer.Config) benchPeers {
	tb.Helper()
	k := realPKI(tb)
	accepted := make(chan *peer.Peer, 1)
	h := &peer.Handler{
		Config: listenerCfg,
		Exempt: func(*http.Request) bool { return true },
		Accept: func(p *peer.Peer) error { accepted <- p; return nil },
	}
	addr := serveBench(tb, lib.handler(h), k.serverTLS(k.listener))
	dialerCfg.NetworkID = testNetwork
	dialerCfg.TLS = k.clientTLS(k.client)
	dialerCfg.Exempt = true
	d, err := lib.dial(context.Background(), addr, dialerCfg)
	if err != nil {
		tb.Fatal(err)
	}
	l := <-accepted
	tb.Cleanup(func() {
		d.Close(nil)
		<-d.Done()
		<-l.Done()
	})
	return benchPeers{dialer: d, listener: l}
}

// roundTripSizes are the encoded sizes of the peer benchmark's request
// (request_peers) and reply (respond_peers with no peers), which the raw
// baselines send as their ping and pong.
func roundTripSizes(tb testing.TB) (req, reply []byte) {
	tb.Helper()
	q, err := protocol.MakeMessage(protocol.MsgRequestPeers, &protocol.RequestPeers{})
	if err != nil {
		tb.Fatal(err)
	}
	q.HasID = true
	r, err := protocol.MakeMessage(protocol.MsgRespondPeers, &protocol.RespondPeers{})
	if err != nil {
		tb.Fatal(err)
	}
	r.HasID = true
	if req, err = q.MarshalBinary(); err != nil {
		tb.Fatal(err)
	}
	if reply, err = r.MarshalBinary(); err != nil {
		tb.Fatal(err)
	}
	return req, reply
}

// BenchmarkRoundTrip measures one request and its reply on an
// established connection: request_peers answered with an empty
// respond_peers (8 and 12 bytes on the wire) through the peer's Request
// path and the listener's handler, against a raw echo of messages of the
// same sizes.
func BenchmarkRoundTrip(b *testing.B) {
	ctx := context.Background()
	for _, lib := range peerLibs {
		b.Run(lib.name, func(b *testing.B) {
			pp := connectPeers(b, lib, listenerConfig(), peer.Config{})
			b.ReportAllocs()
			for b.Loop() {
				if _, err := pp.dialer.RequestPeers(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	req, reply := roundTripSizes(b)
	k := realPKI(b)
	b.Run("rawws-coder", func(b *testing.B) {
		addr := serveBench(b, coderServer(func(c *websocket.Conn) {
			for {
				if _, _, err := c.Read(ctx); err != nil {
					return
				}
				if err := c.Write(ctx, websocket.MessageBinary, reply); err != nil {
					return
				}
			}
		}), k.serverTLS(k.listener))
		c, err := dialCoder(ctx, addr, k.clientTLS(k.client))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = c.Close(websocket.StatusNormalClosure, "") })
		b.ReportAllocs()
		for b.Loop() {
			if err := c.Write(ctx, websocket.MessageBinary, req); err != nil {
				b.Fatal(err)
			}
			if _, m, err := c.Read(ctx); err != nil || len(m) != len(reply) {
				b.Fatal(len(m), err)
			}
		}
	})
	b.Run("rawws-gorilla", func(b *testing.B) {
		addr := serveBench(b, gorillaServer(func(c *gws.Conn) {
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
				if err := c.WriteMessage(gws.BinaryMessage, reply); err != nil {
					return
				}
			}
		}), k.serverTLS(k.listener))
		c, err := dialGorillaRaw(ctx, addr, k.clientTLS(k.client))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = c.Close() })
		b.ReportAllocs()
		for b.Loop() {
			if err := c.WriteMessage(gws.BinaryMessage, req); err != nil {
				b.Fatal(err)
			}
			if _, m, err := c.ReadMessage(); err != nil || len(m) != len(reply) {
				b.Fatal(len(m), err)
			}
		}
	})
	// The least that matching replies to concurrent requests adds to the
	// raw ping-pong: a reading goroutine that hands each reply to the
	// waiting caller over a channel, with the same echo server.
	b.Run("rawws-gorilla-demux", func(b *testing.B) {
		addr := serveBench(b, gorillaServer(func(c *gws.Conn) {
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
				if err := c.WriteMessage(gws.BinaryMessage, reply); err != nil {
					return
				}
			}
		}), k.serverTLS(k.listener))
		c, err := dialGorillaRaw(ctx, addr, k.clientTLS(k.client))
		if err != nil {
			b.Fatal(err)
		}
		replies := make(chan []byte, 1)
		read := make(chan struct{})
		go func() {
			defer close(read)
			for {
				_, m, err := c.ReadMessage()
				if err != nil {
					close(replies)
					return
				}
				replies <- m
			}
		}()
		b.Cleanup(func() { _ = c.Close(); <-read })
		b.ReportAllocs()
		for b.Loop() {
			if err := c.WriteMessage(gws.BinaryMessage, req); err != nil {
				b.Fatal(err)
			}
			if m := <-replies; len(m) != len(reply) {
				b.Fatal(len(m))
			}
		}
	})
	b.Run("rawtls", func(b *testing.B) {
		addr := serveTLS(b, k.serverTLS(k.listener), func(c *tls.Conn) {
			buf := make([]byte, len(req))
			for {
				if _, err := io.ReadFull(c, buf); err != nil {
					return
				}
				if _, err := c.Write(reply); err != nil {
					return
				}
			}
		})
		c, err := dialTLS(ctx, addr, k.clientTLS(k.client))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = c.Close() })
		buf := make([]byte, len(reply))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := c.Write(req); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(c, buf); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// concurrentCallers is how many requests BenchmarkConcurrent keeps in
// flight on one connection.
const concurrentCallers = 32

// BenchmarkConcurrent measures requests per second on one connection with
// concurrentCallers callers each sending request_peers and waiting for its
// reply, against a raw gorilla client that pipelines the same messages
// (concurrentCallers in flight: a writer takes a slot per request, a
// reader frees it per reply) to an echo server over the same TLS.
func BenchmarkConcurrent(b *testing.B) {
	ctx := context.Background()
	for _, lib := range peerLibs {
		b.Run(lib.name, func(b *testing.B) {
			pp := connectPeers(b, lib, listenerConfig(), peer.Config{})
			b.ReportAllocs()
			var wg sync.WaitGroup
			var next sync.Mutex
			left := b.N
			b.ResetTimer()
			for range concurrentCallers {
				wg.Go(func() {
					for {
						next.Lock()
						if left == 0 {
							next.Unlock()
							return
						}
						left--
						next.Unlock()
						if _, err := pp.dialer.RequestPeers(ctx); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
		})
	}
	req, reply := roundTripSizes(b)
	k := realPKI(b)
	b.Run("rawws-gorilla-pipelined", func(b *testing.B) {
		addr := serveBench(b, gorillaServer(func(c *gws.Conn) {
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
				if err := c.WriteMessage(gws.BinaryMessage, reply); err != nil {
					return
				}
			}
		}), k.serverTLS(k.listener))
		c, err := dialGorillaRaw(ctx, addr, k.clientTLS(k.client))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = c.Close() })
		slots := make(chan struct{}, concurrentCallers)
		b.ReportAllocs()
		b.ResetTimer()
		read := make(chan error, 1)
		go func() {
			for range b.N {
				_, m, err := c.ReadMessage()
				if err == nil && len(m) != len(reply) {
					err = io.ErrUnexpectedEOF
				}
				if err != nil {
					read <- err
					return
				}
				<-slots
			}
			read <- nil
		}()
		for range b.N {
			slots <- struct{}{}
			if err := c.WriteMessage(gws.BinaryMessage, req); err != nil {
				b.Fatal(err)
			}
		}
		if err := <-read; err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
}

// bulkSize is the payload of one bulk message.
const bulkSize = 1 << 20

// bulkWindow is how many bulk messages may be sent and not yet received:
// the peer's send queue does not block, so the sender takes a slot per
// message and the receiver frees it. Every variant runs under the same
// window.
const bulkWindow = 8

// bulkSender runs send in a loop on its own goroutine, one slot of the
// window per call, until stop is closed or send fails. It returns a
// function that stops it and waits.
func bulkSender(slots chan struct{}, send func() error) (stop func()) {
	done := make(chan struct{})
	quit := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case slots <- struct{}{}:
			case <-quit:
				return
			}
			if send() != nil {
				return
			}
		}
	}()
	return func() { close(quit); <-done }
}

// BenchmarkBulk measures the throughput of 1 MiB messages from the
// listener to the dialer (the direction of a node serving blocks to a
// syncing node that dialled it; server frames are not masked). The peer
// sends respond_blocks (size limit 50 MiB, no rate limit: Unlimited in
// protocol/limits.go, and the peers are exempt anyway) and the dialer's
// handler takes each one. The baselines move the same payload as raw
// WebSocket binary messages and as bare TLS writes read with io.ReadFull
// into one reused buffer (rawtls, the baseline of the goal). rawtls-fresh
// reads each message into a new buffer instead, as a receiver that hands
// every message on to be kept must: the difference between the two is
// what that allocation costs, without WebSocket or peer code. The "-up"
// variants send from the dialer to the listener (masked client frames).
func BenchmarkBulk(b *testing.B) {
	ctx := context.Background()
	payload := make([]byte, bulkSize)
	for i := range payload {
		payload[i] = byte(i * 7)
	}
	for _, lib := range peerLibs {
		for _, up := range []bool{false, true} {
			name := lib.name + "-1MiB"
			if up {
				name += "-up"
			}
			b.Run(name, func(b *testing.B) {
				got := make(chan int, bulkWindow)
				drain := func(_ context.Context, _ *peer.Peer, m protocol.Message) (*protocol.Message, error) {
					got <- len(m.Data)
					return nil, nil
				}
				lcfg, dcfg := listenerConfig(), peer.Config{}
				if up {
					lcfg.Handlers[protocol.MsgRespondBlocks] = drain
				} else {
					dcfg.Handlers = map[protocol.MessageType]peer.HandlerFunc{protocol.MsgRespondBlocks: drain}
				}
				pp := connectPeers(b, lib, lcfg, dcfg)
				from := pp.listener
				if up {
					from = pp.dialer
				}
				msg := protocol.Message{Type: protocol.MsgRespondBlocks, Data: payload}
				slots := make(chan struct{}, bulkWindow)
				stop := bulkSender(slots, func() error { return from.SendMessage(ctx, msg) })
				defer stop()
				b.SetBytes(bulkSize)
				b.ReportAllocs()
				for b.Loop() {
					if n := <-got; n != bulkSize {
						b.Fatalf("received %d bytes", n)
					}
					<-slots
				}
			})
		}
	}
	k := realPKI(b)
	for _, up := range []bool{false, true} {
		suffix := ""
		if up {
			suffix = "-up"
		}
		b.Run("rawws-coder-1MiB"+suffix, func(b *testing.B) {
			slots := make(chan struct{}, bulkWindow)
			ready := make(chan *websocket.Conn, 1)
			quit := make(chan struct{})
			addr := serveBench(b, coderServer(func(c *websocket.Conn) {
				ready <- c
				<-quit
			}), k.serverTLS(k.listener))
			c, err := dialCoder(ctx, addr, k.clientTLS(k.client))
			if err != nil {
				b.Fatal(err)
			}
			s := <-ready
			from, to := s, c
			if up {
				from, to = c, s
			}
			stop := bulkSender(slots, func() error { return from.Write(ctx, websocket.MessageBinary, payload) })
			b.Cleanup(func() {
				_ = c.CloseNow()
				stop()
				close(quit)
			})
			b.SetBytes(bulkSize)
			b.ReportAllocs()
			for b.Loop() {
				_, m, err := to.Read(ctx)
				if err != nil || len(m) != bulkSize {
					b.Fatal(len(m), err)
				}
				<-slots
			}
		})
		b.Run("rawws-gorilla-1MiB"+suffix, func(b *testing.B) {
			slots := make(chan struct{}, bulkWindow)
			ready := make(chan *gws.Conn, 1)
			quit := make(chan struct{})
			addr := serveBench(b, gorillaServer(func(c *gws.Conn) {
				ready <- c
				<-quit
			}), k.serverTLS(k.listener))
			c, err := dialGorillaRaw(ctx, addr, k.clientTLS(k.client))
			if err != nil {
				b.Fatal(err)
			}
			s := <-ready
			from, to := s, c
			if up {
				from, to = c, s
			}
			stop := bulkSender(slots, func() error { return from.WriteMessage(gws.BinaryMessage, payload) })
			b.Cleanup(func() {
				_ = c.Close()
				stop()
				close(quit)
			})
			b.SetBytes(bulkSize)
			b.ReportAllocs()
			for b.Loop() {
				_, m, err := to.ReadMessage()
				if err != nil || len(m) != bulkSize {
					b.Fatal(len(m), err)
				}
				<-slots
			}
		})
		rawTLS := func(b *testing.B, fresh bool) {
			slots := make(chan struct{}, bulkWindow)
			ready := make(chan *tls.Conn, 1)
			quit := make(chan struct{})
			addr := serveTLS(b, k.serverTLS(k.listener), func(c *tls.Conn) {
				ready <- c
				<-quit
			})
			c, err := dialTLS(ctx, addr, k.clientTLS(k.client))
			if err != nil {
				b.Fatal(err)
			}
			s := <-ready
			from, to := s, c
			if up {
				from, to = c, s
			}
			stop := bulkSender(slots, func() error { _, err := from.Write(payload); return err })
			b.Cleanup(func() {
				_ = c.Close()
				stop()
				close(quit)
			})
			buf := make([]byte, bulkSize)
			b.SetBytes(bulkSize)
			b.ReportAllocs()
			for b.Loop() {
				if fresh {
					buf = make([]byte, bulkSize)
				}
				if _, err := io.ReadFull(to, buf); err != nil {
					b.Fatal(err)
				}
				<-slots
			}
		}
		b.Run("rawtls-1MiB"+suffix, func(b *testing.B) { rawTLS(b, false) })
		if !up {
			b.Run("rawtls-fresh-1MiB", func(b *testing.B) { rawTLS(b, true) })
		}
	}
}

// BenchmarkHandshake measures connection setup and teardown, one at a
// time: for the peer a full Dial (TCP, TLS 1.3 with client certificates,
// WebSocket upgrade, Chia handshake) and a close with its close
// handshake; for the baseline a bare crypto/tls mutual handshake with the
// same RSA-2048 certificates, completed when the client has read a byte
// the server sends after its side of the handshake, then closed. Between
// the two, rawws-gorilla is a bare gorilla dial (TLS and the WebSocket
// upgrade) that reads one message the server sends and closes without a
// close handshake: what is left to the peer is the Chia handshake, its
// own set-up and the close handshake.
func BenchmarkHandshake(b *testing.B) {
	ctx := context.Background()
	k := realPKI(b)
	for _, lib := range peerLibs {
		b.Run(lib.name, func(b *testing.B) {
			h := &peer.Handler{Config: listenerConfig(), Exempt: func(*http.Request) bool { return true }}
			addr := serveBench(b, lib.handler(h), k.serverTLS(k.listener))
			cfg := peer.Config{NetworkID: testNetwork, TLS: k.clientTLS(k.client), Exempt: true}
			b.ReportAllocs()
			for b.Loop() {
				p, err := lib.dial(ctx, addr, cfg)
				if err != nil {
					b.Fatal(err)
				}
				p.Close(nil)
				<-p.Done()
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hs/s")
		})
	}
	b.Run("rawws-gorilla", func(b *testing.B) {
		addr := serveBench(b, gorillaServer(func(c *gws.Conn) {
			if err := c.WriteMessage(gws.BinaryMessage, []byte{1}); err != nil {
				return
			}
			_, _, _ = c.ReadMessage() // until the client closes
		}), k.serverTLS(k.listener))
		conf := k.clientTLS(k.client)
		b.ReportAllocs()
		for b.Loop() {
			c, err := dialGorillaRaw(ctx, addr, conf)
			if err != nil {
				b.Fatal(err)
			}
			if _, _, err := c.ReadMessage(); err != nil {
				b.Fatal(err)
			}
			if err := c.Close(); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hs/s")
	})
	b.Run("tls", func(b *testing.B) {
		addr := serveTLS(b, k.serverTLS(k.listener), func(c *tls.Conn) {
			if _, err := c.Write([]byte{1}); err != nil {
				return
			}
			_, _ = io.Copy(io.Discard, c)
		})
		conf := k.clientTLS(k.client)
		one := make([]byte, 1)
		b.ReportAllocs()
		for b.Loop() {
			c, err := dialTLS(ctx, addr, conf)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(c, one); err != nil {
				b.Fatal(err)
			}
			if err := c.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "hs/s")
	})
}
