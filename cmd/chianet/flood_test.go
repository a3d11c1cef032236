package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chianet/chianet/chiatls"
)

// TestNodeUnderFlood runs the built `chianet node` on 127.50.0.1 and
// attacks it from non-exempt loopback addresses with 3,000 idle TCP
// sockets (two per address, 1,500 addresses in 30 /16 groups) and 1,000
// TLS-only connections (TLS handshake done with a chia-CA certificate,
// no HTTP request; one per address, in 10 other /16 groups). Halfway
// through each kind of attack and once every socket is open, `chianet
// peer ping` from 127.0.0.1 must succeed within 1 s (wall time of the
// command, process start and certificate loading included). It reports the node's resident
// memory (VmRSS sampled every 50 ms, and the kernel's peak VmHWM).
//
// It takes a minute and thousands of file descriptors, so it only runs
// when asked:
//
//	CHIANET_FLOOD=1 go test ./cmd/chianet -run TestNodeUnderFlood -count 1 -v -timeout 10m
func TestNodeUnderFlood(t *testing.T) {
	if os.Getenv("CHIANET_FLOOD") == "" {
		t.Skip("set CHIANET_FLOOD=1 to run")
	}
	const idle, tlsOnly = 3000, 1000
	dir := t.TempDir()
	bin := filepath.Join(dir, "chianet")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	// The node, and the address it listens on from its log.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	node := exec.CommandContext(ctx, bin, "node", "--network", "devnet", "--private", "--listen-host", "127.50.0.1", "--port", "0",
		"--root", filepath.Join(dir, "node"), "--target-outbound", "0", "--rpc-port", "-1", "--daemon-port", "-1", "--log-format", "json")
	node.Cancel = func() error { return node.Process.Signal(os.Interrupt) }
	stderr, err := node.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	addrc := make(chan string, 1)
	var refusedLines []string
	var logMu sync.Mutex
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			var rec map[string]any
			if json.Unmarshal(sc.Bytes(), &rec) != nil {
				continue
			}
			switch rec["msg"] {
			case "listening for peers":
				addrc <- fmt.Sprint(rec["addr"])
			case "refused connections while accepting":
				logMu.Lock()
				refusedLines = append(refusedLines, sc.Text())
				logMu.Unlock()
			}
		}
	}()
	var addr string
	select {
	case addr = <-addrc:
	case <-time.After(60 * time.Second):
		t.Fatal("node did not start listening")
	}
	pid := node.Process.Pid

	// ping runs `chianet peer ping` (from 127.0.0.1, the kernel's source
	// address on loopback) and returns its wall time and output.
	pingRoot := filepath.Join(dir, "ping")
	ping := func() (time.Duration, string, error) {
		start := time.Now()
		out, err := exec.Command(bin, "peer", "ping", addr, "--network", "devnet", "--root", pingRoot, "--timeout", "5s").CombinedOutput()
		return time.Since(start), string(out), err
	}
	if _, out, err := ping(); err != nil { // creates the ping's certificates
		t.Fatalf("ping before the attack: %v\n%s", err, out)
	}
	quietTime, quietOut, err := ping()
	if err != nil {
		t.Fatalf("ping before the attack: %v\n%s", err, quietOut)
	}
	baseRSS := procStatus(t, pid, "VmRSS")

	// RSS samples while the attack runs.
	var maxRSS atomic.Int64
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		tk := time.NewTicker(50 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stopSampling:
				return
			case <-tk.C:
				if v := procStatusQuiet(pid, "VmRSS"); v > maxRSS.Load() {
					maxRSS.Store(v)
				}
			}
		}
	}()

	attacker := chiatls.Tree{Root: filepath.Join(dir, "attacker")}
	if err := attacker.Init(); err != nil {
		t.Fatal(err)
	}
	kp, err := attacker.LoadCertificate(chiatls.FullNode, chiatls.Public)
	if err != nil {
		t.Fatal(err)
	}
	tlsConf := &tls.Config{Certificates: []tls.Certificate{kp.TLSCertificate()}, InsecureSkipVerify: true, MinVersion: tls.VersionTLS13}

	var mu sync.Mutex
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	var dialFailed, tlsDone, tlsFailed atomic.Int64
	open := func(n int, src func(i int) string, withTLS bool) {
		var wg sync.WaitGroup
		work := make(chan int)
		for range 32 {
			wg.Go(func() {
				for i := range work {
					d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(src(i))}, Timeout: 10 * time.Second}
					c, err := d.Dial("tcp", addr)
					if err != nil {
						dialFailed.Add(1)
						continue
					}
					if withTLS {
						tc := tls.Client(c, tlsConf)
						hctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
						err := tc.HandshakeContext(hctx)
						cancel()
						if err != nil {
							tlsFailed.Add(1)
						} else {
							tlsDone.Add(1)
						}
						c = tc
					}
					mu.Lock()
					conns = append(conns, c)
					mu.Unlock()
				}
			})
		}
		for i := range n {
			work <- i
		}
		close(work)
		wg.Wait()
	}
	idleSrc := func(i int) string { j := i / 2; return fmt.Sprintf("127.%d.0.%d", 60+j%30, 1+j/30) }
	tlsSrc := func(i int) string { return fmt.Sprintf("127.%d.0.%d", 100+i%10, 1+i/10) }

	attackStart := time.Now()
	open(idle/2, idleSrc, false)
	type pingResult struct {
		d   time.Duration
		out string
		err error
	}
	pingNow := func() <-chan pingResult {
		c := make(chan pingResult, 1)
		go func() {
			d, out, err := ping()
			c <- pingResult{d, out, err}
		}()
		return c
	}
	duringIdle := pingNow()
	open(idle/2, func(i int) string { return idleSrc(i + idle/2) }, false)
	open(tlsOnly/2, tlsSrc, true)
	duringTLS := pingNow()
	open(tlsOnly/2, func(i int) string { return tlsSrc(i + tlsOnly/2) }, true)
	attackTime := time.Since(attackStart)
	mid, midTLS := <-duringIdle, <-duringTLS
	afterTime, afterOut, afterErr := ping()

	close(stopSampling)
	<-sampled
	peak := procStatus(t, pid, "VmHWM")
	rss := procStatus(t, pid, "VmRSS")
	cancel()
	_ = node.Wait()
	<-logDone

	t.Logf("attack: %d idle TCP sockets and %d TLS-only connections opened in %v (dial failures %d, TLS done %d, TLS failed %d)",
		idle, tlsOnly, attackTime.Round(time.Millisecond), dialFailed.Load(), tlsDone.Load(), tlsFailed.Load())
	t.Logf("node RSS: %.1f MiB before, %.1f MiB max sampled during, %.1f MiB after; peak (VmHWM) %.1f MiB",
		mib(baseRSS), mib(maxRSS.Load()), mib(rss), mib(peak))
	t.Logf("ping before: %v wall\n%s", quietTime.Round(time.Millisecond), pingLines(quietOut))
	t.Logf("ping during the idle sockets: %v wall, err %v\n%s", mid.d.Round(time.Millisecond), mid.err, pingLines(mid.out))
	t.Logf("ping during the TLS connections: %v wall, err %v\n%s", midTLS.d.Round(time.Millisecond), midTLS.err, pingLines(midTLS.out))
	t.Logf("ping after every socket is open: %v wall, err %v\n%s", afterTime.Round(time.Millisecond), afterErr, pingLines(afterOut))
	logMu.Lock()
	for _, l := range refusedLines {
		t.Logf("node log: %s", l)
	}
	logMu.Unlock()

	for _, r := range []pingResult{mid, midTLS, {afterTime, afterOut, afterErr}} {
		if r.err != nil {
			t.Errorf("ping failed during the attack: %v", r.err)
		} else if r.d > time.Second {
			t.Errorf("ping took %v, want under 1 s", r.d)
		}
	}
	if peak > 64<<20 {
		t.Errorf("peak RSS %.1f MiB, want under 64 MiB", mib(peak))
	}
}

// procStatus returns a "kB" field of /proc/pid/status in bytes.
func procStatus(t *testing.T, pid int, field string) int64 {
	t.Helper()
	v := procStatusQuiet(pid, field)
	if v < 0 {
		t.Fatalf("no %s in /proc/%d/status", field, pid)
	}
	return v
}

func procStatusQuiet(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return -1
			}
			return kb << 10
		}
	}
	return -1
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

// pingLines keeps the timing lines of `chianet peer ping`'s output.
func pingLines(out string) string {
	var keep []string
	for line := range strings.Lines(out) {
		if strings.Contains(line, "rtt") || strings.Contains(line, "handshake") || strings.Contains(line, "rror") {
			keep = append(keep, strings.TrimSpace(line))
		}
	}
	return strings.Join(keep, "\n")
}
