package seeder

import (
	"context"
	"crypto/tls"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/internal/pgtest"
	"github.com/chianet/chianet/protocol"
)

// benchDNSQueries sends A queries over UDP from parallel clients, each on
// its own socket, and reports queries per second.
func benchDNSQueries(b *testing.B, addr string) {
	m := new(dns.Msg)
	m.SetQuestion(zone, dns.TypeA)
	m.SetEdns0(4096, false)
	var answers atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		c, err := dns.Dial("udp", addr)
		if err != nil {
			b.Error(err)
			return
		}
		defer c.Close()
		c.UDPSize = 4096
		q := m.Copy()
		for pb.Next() {
			q.Id = dns.Id()
			if err := c.WriteMsg(q); err != nil {
				b.Error(err)
				return
			}
			r, err := c.ReadMsg()
			if err != nil {
				b.Error(err)
				return
			}
			answers.Add(int64(len(r.Answer)))
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "queries/s")
	b.ReportMetric(float64(answers.Load())/float64(b.N), "answers/query")
}

// BenchmarkDNSServer measures our server answering A queries with 32 of
// 1000 peers.
func BenchmarkDNSServer(b *testing.B) {
	s, err := NewDNSServer(DNSConfig{Domain: zone, Nameserver: "ns1.example.com.",
		Peers: &memSource{peers: v4Peers(1000)}, Listen: []string{"127.0.0.1:0"}})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		b.Fatal(err)
	}
	defer s.Close(context.Background())
	benchDNSQueries(b, s.UDPAddrs()[0].String())
}

// BenchmarkDNSFixedAnswer measures a bare miekg/dns server that returns
// one precomputed answer of the same size: the ceiling for ours.
func BenchmarkDNSFixedAnswer(b *testing.B) {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var fixed []dns.RR
	for _, a := range v4Peers(32) {
		fixed = append(fixed, &dns.A{Hdr: dns.RR_Header{Name: zone, Rrtype: dns.TypeA, Class: dns.ClassINET, Ttl: 300}, A: a.AsSlice()})
	}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, NotifyStartedFunc: func() { close(started) }, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.Answer = fixed
		m.Compress = true
		_ = w.WriteMsg(m)
	})}
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.ActivateAndServe() })
	<-started
	defer wg.Wait()
	defer srv.Shutdown()
	benchDNSQueries(b, pc.LocalAddr().String())
}

// benchNetwork starts n fake nodes that all know each other.
func benchNetwork(b *testing.B, n int) []*fakeNode {
	nodes := make([]*fakeNode, n)
	for i := range nodes {
		nodes[i] = startNode(b, 1000+i, 1000)
	}
	for i, fn := range nodes {
		var list []protocol.TimestampedPeerInfo
		for k := 1; k <= 20; k++ {
			list = append(list, nodes[(i+k)%n].info(time.Now()))
		}
		fn.tell(list...)
	}
	return nodes
}

// crawlAll crawls every node in one batch of a fresh crawler and store,
// and returns the time the batch took.
func crawlAll(b *testing.B, nodes []*fakeNode, tlsConf *tls.Config) time.Duration {
	st, err := OpenSQLite(context.Background(), b.TempDir()+"/s.sqlite")
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	// Generous timeouts: on a loaded machine the default 2 s connect
	// bound fails peers, which would measure the load, not the crawl.
	c, err := NewCrawler(CrawlerConfig{NetworkID: testNetwork, TLS: tlsConf, Store: st, AllowPrivate: true,
		ConnectTimeout: 30 * time.Second, HandshakeTimeout: 30 * time.Second, Rand: rand.New(rand.NewPCG(1, 2))})
	if err != nil {
		b.Fatal(err)
	}
	// Every node is known and eligible: one batch crawls them all.
	now := c.now()
	for _, fn := range nodes {
		h := fn.addr.Addr().String()
		c.records[h] = &Record{Host: h, Port: fn.addr.Port(), FirstSeen: now, LastSeen: now}
	}
	c.loaded = true
	start := time.Now()
	bs, err := c.Batch(context.Background())
	took := time.Since(start)
	if err != nil || bs.Reachable != len(nodes) {
		b.Fatalf("batch: %+v, %v", bs, err)
	}
	return took
}

// handshakeAll makes one mutual-TLS handshake (TCP connect, TLS 1.3,
// close) with every node, 250 at once like the crawler, and returns the
// time it took.
func handshakeAll(b *testing.B, nodes []*fakeNode, conf *tls.Config) time.Duration {
	start := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, DefaultConcurrency)
	for _, fn := range nodes {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			d := &net.Dialer{Timeout: 30 * time.Second}
			c, err := tls.DialWithDialer(d, "tcp", fn.addr.String(), conf)
			if err != nil {
				b.Error(err)
				return
			}
			c.Close()
		})
	}
	wg.Wait()
	return time.Since(start)
}

// BenchmarkCrawl200 measures a crawl of every node of a 200-node loopback
// network (handshake, request_peers, the peak) in one batch, against
// BenchmarkHandshake200, bare mutual-TLS handshakes with the same nodes.
func BenchmarkCrawl200(b *testing.B) {
	nodes := benchNetwork(b, 200)
	tlsConf := clientTLS(b)
	b.ReportAllocs()
	b.ResetTimer()
	var took time.Duration
	for range b.N {
		took += crawlAll(b, nodes, tlsConf)
	}
	b.ReportMetric(float64(b.N*len(nodes))/took.Seconds(), "peers/s")
}

// BenchmarkHandshake200 measures mutual-TLS handshakes (TCP connect, TLS
// 1.3, close) with the nodes of a 200-node loopback network, 250 at once
// like the crawler.
func BenchmarkHandshake200(b *testing.B) {
	nodes := benchNetwork(b, 200)
	cert, pool := identity(b)
	conf := chiatls.ClientConfig(cert, pool)
	b.ReportAllocs()
	b.ResetTimer()
	var took time.Duration
	for range b.N {
		took += handshakeAll(b, nodes, conf)
	}
	b.ReportMetric(float64(b.N*len(nodes))/took.Seconds(), "handshakes/s")
}

// BenchmarkCrawlVsHandshake200 measures the crawl rate as a share of the
// bare handshake rate with the same 200 nodes, in pairs run back to back
// (the crawl first in even pairs, the handshakes first in odd ones), so
// that the machine's load changes between pairs rather than within one.
// crawl/handshake-% is the median over the pairs of (handshake time /
// crawl time); min-% and max-% the extremes.
func BenchmarkCrawlVsHandshake200(b *testing.B) {
	nodes := benchNetwork(b, 200)
	tlsConf := clientTLS(b)
	cert, pool := identity(b)
	hsConf := chiatls.ClientConfig(cert, pool)
	b.ReportAllocs()
	b.ResetTimer()
	ratios := make([]float64, 0, b.N)
	var crawlT, hsT time.Duration
	for i := range b.N {
		var ct, ht time.Duration
		if i%2 == 0 {
			ct = crawlAll(b, nodes, tlsConf)
			ht = handshakeAll(b, nodes, hsConf)
		} else {
			ht = handshakeAll(b, nodes, hsConf)
			ct = crawlAll(b, nodes, tlsConf)
		}
		crawlT += ct
		hsT += ht
		ratios = append(ratios, 100*ht.Seconds()/ct.Seconds())
	}
	slices.Sort(ratios)
	b.ReportMetric(ratios[len(ratios)/2], "crawl/handshake-%")
	b.ReportMetric(ratios[0], "min-%")
	b.ReportMetric(ratios[len(ratios)-1], "max-%")
	b.ReportMetric(float64(b.N*len(nodes))/crawlT.Seconds(), "peers/s")
	b.ReportMetric(float64(b.N*len(nodes))/hsT.Seconds(), "handshakes/s")
}

// BenchmarkStoreSave measures the save of one batch of records that are
// all already in the store (the crawler's usual case), on both stores.
func BenchmarkStoreSave(b *testing.B) {
	for _, size := range []int{1000, 10000} {
		for _, kind := range []string{"sqlite", "postgres"} {
			b.Run(fmt.Sprintf("%s/%d", kind, size), func(b *testing.B) {
				var s Store
				var err error
				if kind == "sqlite" {
					s, err = OpenSQLite(context.Background(), b.TempDir()+"/s.sqlite")
				} else {
					s, err = OpenPostgres(context.Background(), pgtest.NewDatabase(b))
				}
				if err != nil {
					b.Fatal(err)
				}
				defer s.Close()
				r := rand.New(rand.NewPCG(1, 1))
				recs := make([]Record, size)
				for i := range recs {
					recs[i] = testRecord(i, r)
				}
				seq := uint64(1)
				if err := s.Save(context.Background(), &Batch{BatchInfo: BatchInfo{Seq: seq, Time: t0}, Records: recs}); err != nil {
					b.Fatal(err)
				}
				b.ResetTimer()
				for range b.N {
					seq++
					for i := range recs {
						recs[i].LastTry = recs[i].LastTry.Add(time.Second)
					}
					if err := s.Save(context.Background(), &Batch{BatchInfo: BatchInfo{Seq: seq, Time: t0}, Records: recs}); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/batch")
			})
		}
	}
}
