package seeder

import (
	"context"
	"net/netip"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/chianet/chianet/internal/pgtest"
)

// TestPostgresSharedStore runs one crawler writing a PostgreSQL store and
// two DNS servers, each with a connection pool of its own, reading it at
// the same time: the servers never hand out anything but the network's
// nodes, and hand out all of them once a batch has found them.
func TestPostgresSharedStore(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	const n = 10
	nodes := make([]*fakeNode, n)
	want := map[netip.Addr]bool{}
	for i := range nodes {
		nodes[i] = startNode(t, 80+i, 1000)
		want[nodes[i].addr.Addr()] = true
	}
	for i, fn := range nodes {
		fn.tell(nodes[(i+1)%n].info(t0), nodes[(i+3)%n].info(t0))
	}

	open := func() Store {
		s, err := OpenPostgres(context.Background(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	servers := []*DNSServer{startDNS(t, open(), nil), startDNS(t, open(), nil)}

	// The crawler crawls hourly on its own clock (one hour per batch), so
	// every node stays reliable batch after batch.
	clock := newFakeClock(t0)
	batches := make(chan Event, 100)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cfg := CrawlerConfig{
		NetworkID:    testNetwork,
		TLS:          clientTLS(t),
		Store:        open(),
		Bootstrap:    []string{nodes[0].addr.String()},
		AllowPrivate: true,
		RecrawlIPv4:  time.Hour,
		PeakWait:     2 * time.Second,
		Clock:        clock,
		OnEvent: func(e Event) {
			if e.Kind == EventCrawlBatchCompleted {
				clock.Advance(time.Hour)
				batches <- e
			}
		},
	}
	c := newTestCrawler(t, cfg)
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := c.Run(ctx); err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	defer wg.Wait()
	defer cancel()

	// Readers reload and query both servers over and over while the
	// crawler writes.
	stop := make(chan struct{})
	var readers sync.WaitGroup
	var rmu sync.Mutex
	reloads := 0
	for _, s := range servers {
		readers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if err := s.Refresh(context.Background()); err != nil {
					t.Errorf("refresh: %v", err)
					return
				}
				rmu.Lock()
				reloads++
				rmu.Unlock()
			}
		})
	}

	complete := 0
	for complete < 2 {
		var e Event
		select {
		case e = <-batches:
		case <-time.After(failsafe):
			t.Fatal("no batch completed")
		}
		if e.Batch.SaveErr != nil {
			t.Fatalf("batch %d not saved: %v", e.Batch.Seq, e.Batch.SaveErr)
		}
		for i, s := range servers {
			if err := s.Refresh(context.Background()); err != nil {
				t.Fatal(err)
			}
			r := query(t, s, "tcp", zone, dns.TypeA, 0)
			got := addrs(t, r)
			for _, a := range got {
				if !want[a] {
					t.Fatalf("server %d handed out %v, not a node", i, a)
				}
			}
			if e.Counts.ReliableNodes == n && len(got) != n {
				// The batch found everybody reliable and saved it before
				// the event; a read after it sees at least that.
				slices.SortFunc(got, netip.Addr.Compare)
				t.Fatalf("after batch %d with %d reliable, server %d handed out %v", e.Batch.Seq, n, i, got)
			}
		}
		if e.Counts.ReliableNodes == n {
			complete++
		}
	}
	close(stop)
	readers.Wait()
	if reloads == 0 {
		t.Fatal("the readers never reloaded")
	}
	t.Logf("%d reloads while the crawler wrote", reloads)
}

// failsafe bounds waits of tests that would otherwise hang on a bug.
const failsafe = 60 * time.Second
