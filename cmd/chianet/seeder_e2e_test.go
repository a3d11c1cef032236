package main

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/chianet/chianet/internal/pgtest"
	"github.com/chianet/chianet/seeder"
)

// The loopback network of the end-to-end test: networkSize `chianet node`
// processes, node i at 127.(100+i).0.1 (each in its own /16, so discovery
// lets every node dial every other), each told of three others.
const (
	networkSize = 50
	e2eDomain   = "seeder.devnet.test."
	e2eNS       = "ns1.devnet.test."
)

func nodeIP(i int) string { return fmt.Sprintf("127.%d.0.1", 100+i) }

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
	buildDir  string
)

// chianetBinary builds this command once per test binary.
func chianetBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "chianet-e2e-bin-")
		if buildErr != nil {
			return
		}
		builtBin = filepath.Join(buildDir, "chianet")
		goTool, err := exec.LookPath("go")
		if err != nil {
			goTool = filepath.Join(os.Getenv("GOROOT"), "bin", "go")
		}
		out, err := exec.Command(goTool, "build", "-o", builtBin, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

func TestMain(m *testing.M) {
	code := m.Run()
	pgtest.Stop()
	if buildDir != "" {
		os.RemoveAll(buildDir)
	}
	os.Exit(code)
}

// proc is a child process whose standard error is kept in a file and
// passed, line by line, to whoever waits for a line.
type proc struct {
	t    *testing.T
	name string
	cmd  *exec.Cmd
	log  string // the file

	mu     sync.Mutex
	lines  []string
	notify chan struct{}
	exited chan struct{}
	err    error
}

// startProc runs bin with args.
func startProc(t *testing.T, name, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, notify: make(chan struct{}, 1), exited: make(chan struct{})}
	p.log = filepath.Join(t.TempDir(), name+".log")
	f, err := os.Create(p.log)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = exec.Command(bin, args...)
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p.cmd.Stdout = f
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(f, line)
			p.mu.Lock()
			p.lines = append(p.lines, line)
			p.mu.Unlock()
			select {
			case p.notify <- struct{}{}:
			default:
			}
		}
	}()
	go func() {
		<-copied
		p.err = p.cmd.Wait()
		f.Close()
		close(p.exited)
	}()
	t.Cleanup(func() { p.stop(syscall.SIGTERM) })
	return p
}

// stop sends sig and waits for the exit, killing the process if it takes
// more than 20 s.
func (p *proc) stop(sig syscall.Signal) {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// waitLog waits until a JSON log line has msg, and returns its fields.
func (p *proc) waitLog(msg string, match func(map[string]any) bool) map[string]any {
	p.t.Helper()
	deadline := time.After(2 * time.Minute)
	seen := 0
	for {
		p.mu.Lock()
		lines := p.lines[seen:]
		seen = len(p.lines)
		p.mu.Unlock()
		for _, l := range lines {
			var m map[string]any
			if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == msg && (match == nil || match(m)) {
				return m
			}
		}
		select {
		case <-p.notify:
		case <-p.exited:
			p.mu.Lock()
			n := len(p.lines)
			p.mu.Unlock()
			if n == seen {
				p.t.Fatalf("%s exited (%v) before logging %q; log %s:\n%s", p.name, p.err, msg, p.log, p.tail())
			}
		case <-deadline:
			p.t.Fatalf("%s: no %q logged in 2 minutes; log %s:\n%s", p.name, msg, p.log, p.tail())
		}
	}
}

// tail returns the last lines of the log.
func (p *proc) tail() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines[max(0, len(p.lines)-20):], "\n")
}

// loopbackNetwork starts networkSize nodes and waits until each listens.
func loopbackNetwork(t *testing.T, bin string) (nodes []*proc, addrs []netip.AddrPort) {
	t.Helper()
	// Each node gets a free port of its own address, found by binding
	// port 0 there first: nothing else uses these addresses.
	for i := range networkSize {
		l, err := net.Listen("tcp", nodeIP(i)+":0")
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, netip.MustParseAddrPort(l.Addr().String()))
		l.Close()
	}
	for i := range networkSize {
		args := []string{"node", "--network", "devnet", "--private", "--rpc-port", "-1", "--daemon-port", "-1", "--root", t.TempDir(),
			"--listen-host", nodeIP(i), "--port", strconv.Itoa(int(addrs[i].Port())),
			"--target-outbound", "20", "--target-peer-count", "60",
			"--log-format", "json", "--log-level", "info"}
		for _, d := range []int{1, 2, 7} {
			args = append(args, "--peer", addrs[(i+d)%networkSize].String())
		}
		nodes = append(nodes, startProc(t, fmt.Sprintf("node%02d", i), bin, args...))
	}
	for _, n := range nodes {
		n.waitLog("node started", nil)
	}
	return nodes, addrs
}

// crawlOnce runs `seeder crawl --once` into db and returns its summary.
func crawlOnce(t *testing.T, bin, root, db string, bootstrap netip.AddrPort, extra ...string) string {
	t.Helper()
	args := append([]string{"seeder", "crawl", "--once", "--network", "devnet", "--private", "--root", root, "--db", db,
		"--bootstrap-peer", bootstrap.String(), "--reachable-on-handshake", "--peak-wait", "0",
		"--log-format", "json", "--log-level", "warn"}, extra...)
	out, err := exec.Command(bin, args...).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("seeder crawl: %v\n%s\n%s", err, out, stderr)
	}
	return string(out)
}

// loadStore returns the records of the store at db by host.
func loadStore(t *testing.T, db string) (map[string]seeder.Record, seeder.BatchInfo) {
	t.Helper()
	s, err := seeder.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	recs, info, err := s.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]seeder.Record{}
	for _, r := range recs {
		out[r.Host] = r
	}
	return out, info
}

// TestSeederLoopbackNetwork crawls a loopback network of 50 `chianet node`
// processes from one bootstrap peer with `chianet seeder crawl --once`,
// serves it with `chianet seeder dns`, and checks the answers with a
// miekg/dns client and, when installed, dig; then stops five nodes,
// crawls again, and checks they are no longer handed out.
func TestSeederLoopbackNetwork(t *testing.T) {
	if testing.Short() {
		t.Skip("starts 50 node processes")
	}
	bin := chianetBinary(t)
	nodes, addrs := loopbackNetwork(t, bin)
	nodeAt := map[string]int{}
	for i, a := range addrs {
		nodeAt[a.Addr().String()] = i
	}

	// Gossip spreads the nodes' addresses in a few seconds; until it has,
	// a crawl from the bootstrap peer finds only part of the network. Each
	// attempt starts from an empty store, so the crawl that finds the
	// whole network tries every node exactly once.
	root := t.TempDir()
	var db, summary string
	deadline := time.Now().Add(3 * time.Minute)
	for attempt := 1; ; attempt++ {
		db = filepath.Join(t.TempDir(), "seeder.sqlite")
		summary = crawlOnce(t, bin, root, db, addrs[0])
		recs, _ := loadStore(t, db)
		found := 0
		for h, r := range recs {
			if _, ok := nodeAt[h]; ok && !r.LastSuccess.IsZero() {
				found++
			}
		}
		if found == networkSize {
			t.Logf("attempt %d crawled all %d nodes:\n%s", attempt, found, summary)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %d attempts the crawl still finds %d of %d nodes:\n%s", attempt, found, networkSize, summary)
		}
	}
	if !strings.Contains(summary, fmt.Sprintf("reliable %d", networkSize)) || !strings.Contains(summary, "versions: 2.7.3 ") {
		t.Errorf("summary:\n%s", summary)
	}
	recs, info := loadStore(t, db)
	ids := map[[32]byte]bool{}
	for i, a := range addrs {
		r, ok := recs[a.Addr().String()]
		if !ok || r.Port != a.Port() || !r.Reliable() || r.Reliability.Tries != 1 || r.TLSVersion != "TLSv1.3" ||
			r.SoftwareVersion == "" || r.ProtocolVersion == "" || ids[r.NodeID] {
			t.Errorf("node %d: record %+v", i, r)
		}
		ids[r.NodeID] = true
	}
	if info.Seq == 0 {
		t.Errorf("no batch saved")
	}

	// The DNS server hands out reliable nodes only.
	dnsProc := startProc(t, "dns", bin, "seeder", "dns", "--network", "devnet", "--private", "--root", t.TempDir(), "--db", db,
		"--dns-listen", "127.0.0.1:0", "--domain", e2eDomain, "--nameserver", e2eNS, "--log-format", "json")
	listening := dnsProc.waitLog("DNS server listening", nil)
	udpAddr := listenAddr(t, listening["udp"])
	tcpAddr := listenAddr(t, listening["tcp"])
	reliable := func(a netip.Addr) bool {
		r, ok := recs[a.String()]
		return ok && r.Reliable()
	}
	checkDNS(t, udpAddr, tcpAddr, reliable, networkSize)
	digChecks(t, udpAddr)

	// Five nodes stop. Two more crawls make their three tries with one
	// success unreliable; the others stay young and reliable (3 of 3).
	stopped := map[string]bool{}
	for _, i := range []int{3, 11, 22, 37, 48} {
		nodes[i].stop(syscall.SIGTERM)
		stopped[addrs[i].Addr().String()] = true
	}
	for range 2 {
		crawlOnce(t, bin, root, db, addrs[0], "--recrawl-after", "1ns")
	}
	recs, _ = loadStore(t, db)
	for h := range stopped {
		if r := recs[h]; r.Reliable() || r.Reliability.Tries != 3 || r.Reliability.Successes != 1 {
			t.Errorf("stopped node %s: %+v", h, r.Reliability)
		}
	}
	if err := dnsProc.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	dnsProc.waitLog("DNS server: peers read", func(m map[string]any) bool { return m["reliable"] == float64(networkSize-5) })
	checkDNS(t, udpAddr, tcpAddr, func(a netip.Addr) bool { return reliable(a) && !stopped[a.String()] }, networkSize-5)
}

// listenAddr parses the first address of a logged address list.
func listenAddr(t *testing.T, v any) string {
	t.Helper()
	list, ok := v.([]any)
	if !ok || len(list) == 0 {
		t.Fatalf("logged addresses %v", v)
	}
	return list[0].(string)
}

// checkDNS queries the server for the zone and checks the answers: only
// addresses ok accepts, all want of them over a few rounds, NS and SOA in
// authority, truncation over UDP without EDNS, REFUSED outside the zone.
func checkDNS(t *testing.T, udpAddr, tcpAddr string, ok func(netip.Addr) bool, want int) {
	t.Helper()
	ask := func(netw, addr, name string, qtype uint16) *dns.Msg {
		t.Helper()
		m := new(dns.Msg)
		m.SetQuestion(name, qtype)
		r, _, err := (&dns.Client{Net: netw, Timeout: 10 * time.Second}).Exchange(m, addr)
		if err != nil {
			t.Fatalf("%s %s %s: %v", netw, name, dns.TypeToString[qtype], err)
		}
		return r
	}
	seen := map[netip.Addr]bool{}
	for range 4 {
		r := ask("tcp", tcpAddr, e2eDomain, dns.TypeA)
		if r.Rcode != dns.RcodeSuccess || !r.Authoritative || r.Truncated || len(r.Answer) != min(32, want) {
			t.Fatalf("A over TCP: rcode %d aa %v tc %v, %d answers", r.Rcode, r.Authoritative, r.Truncated, len(r.Answer))
		}
		for _, rr := range r.Answer {
			a, _ := netip.AddrFromSlice(rr.(*dns.A).A)
			a = a.Unmap()
			if !ok(a) {
				t.Errorf("handed out %v, which is not a reliable node", a)
			}
			seen[a] = true
		}
		var ns, soa bool
		for _, rr := range r.Ns {
			switch rr := rr.(type) {
			case *dns.NS:
				ns = rr.Ns == e2eNS
			case *dns.SOA:
				soa = rr.Ns == e2eNS
			}
		}
		if !ns || !soa {
			t.Errorf("authority %v, want NS and SOA", r.Ns)
		}
	}
	if len(seen) != want {
		t.Errorf("4 answers handed out %d distinct nodes, want all %d", len(seen), want)
	}
	r := ask("udp", udpAddr, e2eDomain, dns.TypeA)
	if !r.Truncated || len(r.Answer) >= 32 {
		t.Errorf("A over UDP without EDNS: tc %v, %d answers; want a truncated answer", r.Truncated, len(r.Answer))
	}
	if r := ask("udp", udpAddr, "chia.net.", dns.TypeA); r.Rcode != dns.RcodeRefused {
		t.Errorf("a name outside the zone: %s, want REFUSED", dns.RcodeToString[r.Rcode])
	}
	if r := ask("udp", udpAddr, e2eDomain, dns.TypeSOA); len(r.Answer) != 1 {
		t.Errorf("SOA: %v", r.Answer)
	}
}

// digChecks repeats the main checks with dig, when it is installed.
func digChecks(t *testing.T, udpAddr string) {
	t.Helper()
	dig, err := exec.LookPath("dig")
	if err != nil {
		t.Log("dig is not installed (Debian package dnsutils): dig checks skipped")
		return
	}
	host, port, _ := net.SplitHostPort(udpAddr)
	run := func(args ...string) string {
		t.Helper()
		args = append([]string{"@" + host, "-p", port, "+norecurse", "+time=5", "+tries=1"}, args...)
		out, err := exec.Command(dig, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("dig %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	// Without EDNS the UDP answer is truncated; dig retries over TCP.
	if out := run("+noedns", e2eDomain, "A"); !strings.Contains(out, "status: NOERROR") || !strings.Contains(out, "ANSWER: 32,") ||
		!strings.Contains(out, "AUTHORITY: 2,") || !strings.Contains(out, "Truncated, retrying in TCP mode") {
		t.Errorf("dig A:\n%s", out)
	}
	if out := run("chia.net.", "A"); !strings.Contains(out, "status: REFUSED") {
		t.Errorf("dig outside the zone:\n%s", out)
	}
	if out := run(e2eDomain, "NS"); !strings.Contains(out, e2eNS) {
		t.Errorf("dig NS:\n%s", out)
	}
}

// TestSeederKilled kills `chianet seeder crawl` with SIGKILL while it
// crawls a loopback network batch after batch, over SQLite and PostgreSQL,
// and checks that the store reopens with every batch the crawler had
// reported saved, losing at most the one in flight.
func TestSeederKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("starts node processes")
	}
	bin := chianetBinary(t)
	// A small network is enough here: the crawler recrawls it without
	// pause.
	var addrs []netip.AddrPort
	for i := range 5 {
		l, err := net.Listen("tcp", fmt.Sprintf("127.%d.0.1:0", 160+i))
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, netip.MustParseAddrPort(l.Addr().String()))
		l.Close()
	}
	var nodes []*proc
	for i := range addrs {
		nodes = append(nodes, startProc(t, fmt.Sprintf("knode%d", i), bin, "node", "--network", "devnet", "--private",
			"--rpc-port", "-1", "--daemon-port", "-1", "--root", t.TempDir(), "--listen-host", addrs[i].Addr().String(), "--port", strconv.Itoa(int(addrs[i].Port())),
			"--peer", addrs[(i+1)%len(addrs)].String(), "--log-format", "json"))
	}
	for _, n := range nodes {
		n.waitLog("node started", nil)
	}
	for _, tc := range []struct {
		name string
		db   func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "seeder.sqlite") }},
		{"postgres", func(t *testing.T) string { return pgtest.NewDatabase(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := tc.db(t)
			crawler := startProc(t, "crawler-"+tc.name, bin, "seeder", "crawl", "--network", "devnet", "--private", "--root", t.TempDir(),
				"--rpc-port", "-1", "--db", db, "--bootstrap-peer", addrs[0].String(), "--reachable-on-handshake", "--peak-wait", "0",
				"--recrawl-after", "1ns", "--batch-interval", "0", "--log-format", "json")
			done := crawler.waitLog("batch done", func(m map[string]any) bool { return m["batch"].(float64) >= 5 })
			if err := crawler.cmd.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			<-crawler.exited
			crawler.mu.Lock()
			logged := 0.0
			for _, l := range crawler.lines {
				var m map[string]any
				if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "batch done" {
					logged = max(logged, m["batch"].(float64))
				}
			}
			crawler.mu.Unlock()
			recs, info := loadStore(t, db)
			if info.Seq < uint64(logged) || info.Seq > uint64(logged)+1 {
				t.Fatalf("store's last batch %d; the crawler logged %d saved (first seen %v): at most the batch in flight may be lost", info.Seq, uint64(logged), done["batch"])
			}
			if r, ok := recs[addrs[0].Addr().String()]; !ok || r.Reliability.Tries < uint32(info.Seq) {
				t.Fatalf("the bootstrap node's record after %d batches: %+v", info.Seq, r)
			}
			if !seeder.IsPostgresDSN(db) {
				checkSQLiteIntegrity(t, db)
			}
			// A new crawler carries on from the store.
			out := crawlOnce(t, bin, t.TempDir(), db, addrs[0], "--recrawl-after", "1ns")
			_, after := loadStore(t, db)
			if after.Seq <= info.Seq {
				t.Fatalf("no batch saved after the crash (%d, then %d):\n%s", info.Seq, after.Seq, out)
			}
		})
	}
}

// checkSQLiteIntegrity runs SQLite's integrity check over the store.
func checkSQLiteIntegrity(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		t.Fatalf("integrity_check: %q %v", res, err)
	}
}
