package rpc

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/netip"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/streamable"
)

// benchClients is how many clients send requests at once.
const benchClients = 8

// benchNode returns a fake full node with n connections, each with a
// peak, as a busy node has them.
func benchNode(n int) *fakeNode {
	f := newFakeNode()
	f.conns = make([]Connection, n)
	for i := range f.conns {
		var id, hash protocol.Bytes32
		id[0], id[1], hash[0] = byte(i), byte(i>>8), byte(i)
		f.conns[i] = Connection{
			NodeType: protocol.NodeFullNode, LocalPort: 8444,
			PeerHost: netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), PeerPort: uint16(40000 + i), PeerServerPort: 8444,
			NodeID: id, CreationTime: time.Unix(1_700_000_000+int64(i), 250_000_000),
			BytesRead: uint64(i) * 12345, BytesWritten: uint64(i) * 54321, LastMessageTime: time.Unix(1_700_000_100+int64(i), 0),
			Peak: &Peak{Height: 6_000_000 + uint32(i), Weight: streamable.U128From64(1 << 50), HeaderHash: hash},
		}
	}
	return f
}

// BenchmarkGetConnections100 measures get_connections of a node with 100
// connections from 8 concurrent HTTPS clients (keep-alive, mutual TLS
// 1.3), against a bare net/http TLS server answering the same bytes on
// the same TLS config: the baseline for the RPC's own cost (routing,
// body limits, JSON with sorted keys, the envelope). Besides requests per
// second it reports the process's CPU time per request, client included;
// its interleaved run gives the ratio of the two servers.
func BenchmarkGetConnections100(b *testing.B) {
	fn := benchNode(100)
	srv, err := NewServer(Config{Name: FullNodeService, Routes: FullNodeRoutes(fn, Options{}), ListenAddr: "127.0.0.1:0",
		TLS: serverTLSConfig(b)})
	if err != nil {
		b.Fatal(err)
	}
	if err := srv.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Close(context.Background()) })
	rpcURL := "https://" + srv.Addr().String() + "/get_connections"

	// The bare server answers what the RPC answers.
	body := benchPost(b, benchClient(b), rpcURL)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	bare := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := bare.Serve(tls.NewListener(ln, serverTLSConfig(b))); !errors.Is(err, http.ErrServerClosed) {
			b.Error(err)
		}
	}()
	b.Cleanup(func() { _ = bare.Close() })
	bareURL := "https://" + ln.Addr().String() + "/get_connections"
	if got := benchPost(b, benchClient(b), bareURL); !bytes.Equal(got, body) {
		b.Fatal("the bare server answers differently")
	}

	for _, c := range []struct{ name, url string }{{"rpc", rpcURL}, {"bare", bareURL}} {
		b.Run(c.name, func(b *testing.B) {
			hc := benchClient(b)
			b.ReportAllocs()
			b.SetParallelism(max(1, benchClients/runtime.GOMAXPROCS(0)))
			b.SetBytes(int64(len(body)))
			b.ResetTimer()
			cpu := processCPU()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					benchPost(b, hc, c.url)
				}
			})
			cpu = processCPU() - cpu
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
			// Client and server together; on a shared machine this is the
			// steadier measure (req/s ≈ cores / cpu-µs/req when idle).
			b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/req")
		})
	}

	// interleaved alternates bursts to the two servers, so that the load
	// of other programs, which moves from second to second, weighs on both
	// alike; its rpc/bare-% is the ratio of their requests per second.
	b.Run("interleaved", func(b *testing.B) {
		hc := [2]*http.Client{benchClient(b), benchClient(b)}
		url := [2]string{rpcURL, bareURL}
		var spent, cpu [2]time.Duration
		const burst = 8 * benchClients // requests to one server in a row
		for b.Loop() {
			for s := range 2 {
				start, cpu0 := time.Now(), processCPU()
				var wg sync.WaitGroup
				for range benchClients {
					wg.Go(func() {
						for range burst / benchClients {
							benchPost(b, hc[s], url[s])
						}
					})
				}
				wg.Wait()
				spent[s] += time.Since(start)
				cpu[s] += processCPU() - cpu0
			}
		}
		n := float64(b.N * burst)
		b.ReportMetric(n/spent[0].Seconds(), "rpc-req/s")
		b.ReportMetric(n/spent[1].Seconds(), "bare-req/s")
		b.ReportMetric(100*spent[1].Seconds()/spent[0].Seconds(), "rpc/bare-%")
		b.ReportMetric(100*float64(cpu[1])/float64(cpu[0]), "rpc/bare-cpu-%")
	})
}

// benchClient returns an HTTP client keeping a connection for each of
// the benchmark's clients.
func benchClient(b *testing.B) *http.Client {
	tr := &http.Transport{TLSClientConfig: clientTLSConfig(b), MaxIdleConnsPerHost: benchClients * 2}
	b.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: time.Minute}
}

// benchPost posts {} to url and returns the response body.
func benchPost(b *testing.B, hc *http.Client, url string) []byte {
	resp, err := hc.Post(url, "application/json", bytes.NewReader([]byte("{}")))
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Fatalf("%s: %d %v", url, resp.StatusCode, err)
	}
	return body
}

// BenchmarkAnswerConnections100 measures writing get_connections' answer
// for 100 connections alone: directly (the server's path), and as it was
// written before: each connection through encoding/json, then the whole
// decoded and encoded again to sort its keys.
func BenchmarkAnswerConnections100(b *testing.B) {
	conns := benchNode(100).conns
	answer := map[string]any{"connections": conns}
	legacy := make([]connectionJSON, len(conns))
	for i, c := range conns {
		legacy[i] = legacyConnectionJSON(c)
	}
	b.Run("direct", func(b *testing.B) {
		b.ReportAllocs()
		var buf []byte
		for b.Loop() {
			var err error
			if buf, _, err = appendAnswer(buf[:0], answer); err != nil {
				b.Fatal(err)
			}
		}
		b.SetBytes(int64(len(buf)))
	})
	b.Run("before", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := legacyAnswer(map[string]any{"connections": legacy}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
