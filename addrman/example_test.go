package addrman_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/chianet/chianet/addrman"
	"github.com/chianet/chianet/protocol"
)

func Example() {
	now := time.Unix(1_760_000_000, 0)
	m := addrman.New(addrman.Config{
		Now:  func() time.Time { return now },
		Rand: rand.New(rand.NewPCG(1, 2)), // deterministic for the example
	})

	// A full node gossips three addresses; one is private and refused.
	sender := addrman.PeerInfo{Host: "203.0.114.7", Port: 8444}
	added, rejected := m.Add([]protocol.TimestampedPeerInfo{
		{Host: "198.51.101.1", Port: 8444, Timestamp: uint64(now.Unix() - 600)},
		{Host: "2001:4860:4860::8888", Port: 8444, Timestamp: uint64(now.Unix() - 600)},
		{Host: "192.168.1.10", Port: 8444, Timestamp: uint64(now.Unix())},
	}, sender, addrman.GossipPenalty)
	fmt.Println("added", added, "rejected", rejected)

	// Discovery picks one, connects, and reports the outcome.
	e, _ := m.Select(false)
	m.Good(e.Addr, true, now)
	m.Connect(e.Addr, now)
	nNew, nTried := m.Counts()
	fmt.Println("new", nNew, "tried", nTried)

	// The tables survive a save and a load.
	dir, _ := os.MkdirTemp("", "addrman")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "peers.dat")
	if err := m.Save(path); err != nil {
		fmt.Println(err)
	}
	loaded, err := addrman.Load(path, addrman.Config{})
	nNew, nTried = loaded.Counts()
	fmt.Println("loaded new", nNew, "tried", nTried, "error", err)
	// Output:
	// added 2 rejected 1
	// new 1 tried 1
	// loaded new 1 tried 1 error <nil>
}
