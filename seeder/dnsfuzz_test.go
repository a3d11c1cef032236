package seeder

import (
	"context"
	"math/rand/v2"
	"net"
	"net/netip"
	"testing"

	"github.com/miekg/dns"
)

// captureWriter is a dns.ResponseWriter that keeps the message written.
type captureWriter struct {
	remote net.Addr
	msg    *dns.Msg
}

func (w *captureWriter) LocalAddr() net.Addr         { return w.remote }
func (w *captureWriter) RemoteAddr() net.Addr        { return w.remote }
func (w *captureWriter) WriteMsg(m *dns.Msg) error   { w.msg = m; return nil }
func (w *captureWriter) Write(b []byte) (int, error) { return len(b), nil }
func (w *captureWriter) Close() error                { return nil }
func (w *captureWriter) TsigStatus() error           { return nil }
func (w *captureWriter) TsigTimersOnly(bool)         {}
func (w *captureWriter) Hijack()                     {}

// FuzzDNSQuery feeds arbitrary packets to the DNS server's handler, as the
// dns package hands it every packet that unpacks: the handler must not
// panic (its recover would turn that into SERVFAIL, so a SERVFAIL fails
// the test), must answer every query with a reply of the same ID that
// packs, fits the UDP size the query allows, and must leave the records
// it shares between answers as they were.
func FuzzDNSQuery(f *testing.F) {
	for _, q := range []struct {
		name  string
		qtype uint16
		edns  uint16
	}{
		{zone, dns.TypeA, 0},
		{zone, dns.TypeAAAA, 4096},
		{"SeEdEr.ExAmPlE.CoM.", dns.TypeANY, 0},
		{zone, dns.TypeSOA, 1232},
		{zone, dns.TypeNS, 0},
		{"www." + zone, dns.TypeA, 0},
		{"example.org.", dns.TypeA, 0},
		{zone, dns.TypeTXT, 100},
	} {
		m := new(dns.Msg)
		m.SetQuestion(q.name, q.qtype)
		if q.edns > 0 {
			m.SetEdns0(q.edns, true)
		}
		b, err := m.Pack()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, false)
		f.Add(b, true)
	}
	m := new(dns.Msg)
	m.SetQuestion(zone, dns.TypeA)
	m.SetEdns0(4096, false)
	m.IsEdns0().SetVersion(1)
	b, _ := m.Pack()
	f.Add(b, true)
	m = new(dns.Msg)
	m.SetQuestion(zone, dns.TypeA)
	m.Question = append(m.Question, m.Question[0])
	b, _ = m.Pack()
	f.Add(b, true)
	m.Question = nil
	m.Opcode = dns.OpcodeNotify
	b, _ = m.Pack()
	f.Add(b, true)
	f.Add([]byte{}, true)

	peers := append(v4Peers(40), v6Peers(40)...)
	s, err := NewDNSServer(DNSConfig{
		Domain:      zone,
		Nameserver:  "ns1.example.com.",
		Peers:       &memSource{peers: peers},
		StaticPeers: []netip.Addr{netip.MustParseAddr("192.0.2.1")},
		Rand:        rand.New(rand.NewPCG(1, 2)),
		Clock:       newManualClock(),
	})
	if err != nil {
		f.Fatal(err)
	}
	if err := s.Refresh(context.Background()); err != nil {
		f.Fatal(err)
	}
	set := s.set.Load()
	udp := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5353}
	tcp := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5353}
	f.Fuzz(func(t *testing.T, data []byte, overUDP bool) {
		req := new(dns.Msg)
		if req.Unpack(data) != nil {
			return // the dns package answers or drops these itself
		}
		w := &captureWriter{remote: tcp}
		if overUDP {
			w.remote = udp
		}
		s.serveDNS(w, req)
		if _, fails := s.Stats(); fails != 0 {
			t.Fatalf("the handler panicked on %v", req)
		}
		resp := w.msg
		if resp == nil {
			t.Fatal("no answer")
		}
		if resp.Id != req.Id || !resp.Response {
			t.Fatalf("answer id %d response %v to query %d", resp.Id, resp.Response, req.Id)
		}
		out, err := resp.Pack()
		if err != nil {
			t.Fatalf("answer does not pack: %v\n%v", err, resp)
		}
		limit := dns.MaxMsgSize
		if overUDP {
			limit = dns.MinMsgSize
			if opt := req.IsEdns0(); opt != nil {
				limit = min(max(int(opt.UDPSize()), dns.MinMsgSize), maxEDNSSize)
			}
		}
		if len(out) > limit {
			t.Fatalf("answer of %d bytes, limit %d", len(out), limit)
		}
		for _, rr := range append(append([]dns.RR(nil), set.rr4...), set.rr6...) {
			if h := rr.Header(); h.Name != zone || h.Ttl != DefaultTTL {
				t.Fatalf("shared record changed: %v", rr)
			}
		}
	})
}
