package protocol

import (
	"slices"
	"testing"
)

func TestNodeTypes(t *testing.T) {
	cases := []struct {
		n       NodeType
		id      uint8
		name    string
		version string
	}{
		{NodeFullNode, 1, "FULL_NODE", "0.0.36"},
		{NodeHarvester, 2, "HARVESTER", "0.0.38"},
		{NodeFarmer, 3, "FARMER", "0.0.38"},
		{NodeTimelord, 4, "TIMELORD", "0.0.36"},
		{NodeIntroducer, 5, "INTRODUCER", "0.0.36"},
		{NodeWallet, 6, "WALLET", "0.0.38"},
		{NodeDataLayer, 7, "DATA_LAYER", "0.0.36"},
		{NodeSolver, 8, "SOLVER", "0.0.37"},
	}
	for _, c := range cases {
		if uint8(c.n) != c.id || !c.n.Valid() || c.n.String() != c.name {
			t.Errorf("%s: value %d, Valid %v, String %q", c.name, c.n, c.n.Valid(), c.n.String())
		}
		if got := ProtocolVersion(c.n); got != c.version {
			t.Errorf("ProtocolVersion(%v) = %q, want %q", c.n, got, c.version)
		}
		if n, ok := ParseNodeType(c.name); !ok || n != c.n {
			t.Errorf("ParseNodeType(%q) = %v, %v", c.name, n, ok)
		}
	}
	for _, n := range []NodeType{0, 9, 255} {
		if n.Valid() || ProtocolVersion(n) != "" {
			t.Errorf("NodeType(%d) is valid or has a protocol version", n)
		}
	}
	if got := NodeType(9).String(); got != "NodeType(9)" {
		t.Errorf("NodeType(9).String() = %q", got)
	}
	if n, ok := ParseNodeType("wallet"); !ok || n != NodeWallet {
		t.Errorf("ParseNodeType(wallet) = %v, %v", n, ok)
	}
	if _, ok := ParseNodeType("CRAWLER"); ok {
		t.Error("ParseNodeType accepted CRAWLER")
	}
}

func TestCapabilityNames(t *testing.T) {
	want := []string{"", "BASE", "BLOCK_HEADERS", "RATE_LIMITS_V2", "NONE_RESPONSE", "MEMPOOL_UPDATES", "HARD_FORK_2", "RATE_LIMITS_V3"}
	for c := Capability(1); c <= 7; c++ {
		if !c.Known() || c.String() != want[c] {
			t.Errorf("Capability(%d): Known %v, String %q", c, c.Known(), c.String())
		}
	}
	if CapBase != 1 || CapRateLimitsV2 != 3 || CapMempoolUpdates != 5 || CapRateLimitsV3 != 7 {
		t.Error("capability values differ from the reference")
	}
	for _, c := range []Capability{0, 8, 65535} {
		if c.Known() {
			t.Errorf("Capability(%d) is known", c)
		}
	}
	if got := Capability(8).String(); got != "Capability(8)" {
		t.Errorf("Capability(8).String() = %q", got)
	}
}

func TestDefaultCapabilities(t *testing.T) {
	base := []HandshakeCapability{{1, "1"}, {2, "1"}, {3, "1"}}
	full := append(slices.Clone(base), HandshakeCapability{5, "1"})
	for n := NodeFullNode; n <= NodeSolver; n++ {
		want := base
		if n == NodeFullNode {
			want = full
		}
		if got := DefaultCapabilities(n); !slices.Equal(got, want) {
			t.Errorf("DefaultCapabilities(%v) = %v, want %v", n, got, want)
		}
	}
	a := DefaultCapabilities(NodeWallet)
	a[0].Value = "0"
	if DefaultCapabilities(NodeWallet)[0].Value != "1" {
		t.Error("DefaultCapabilities returned shared storage")
	}
}

func TestActiveCapabilities(t *testing.T) {
	cases := []struct {
		name string
		in   []HandshakeCapability
		want []Capability
	}{
		{"nil", nil, nil},
		{"defaults", []HandshakeCapability{{1, "1"}, {2, "1"}, {3, "1"}}, []Capability{CapBase, CapBlockHeaders, CapRateLimitsV2}},
		{"value must be exactly 1", []HandshakeCapability{{1, "0"}, {2, "01"}, {3, " 1"}, {5, "true"}, {6, ""}, {7, "1 "}}, nil},
		{"unknown numbers ignored", []HandshakeCapability{{0, "1"}, {8, "1"}, {64, "1"}, {65535, "1"}, {7, "1"}}, []Capability{CapRateLimitsV3}},
		{"1 wins over another value", []HandshakeCapability{{3, "0"}, {3, "1"}, {5, "1"}, {5, "0"}}, []Capability{CapRateLimitsV2, CapMempoolUpdates}},
		{"duplicates", []HandshakeCapability{{1, "1"}, {1, "1"}}, []Capability{CapBase}},
		{"all", []HandshakeCapability{{7, "1"}, {6, "1"}, {5, "1"}, {4, "1"}, {3, "1"}, {2, "1"}, {1, "1"}},
			[]Capability{1, 2, 3, 4, 5, 6, 7}},
	}
	for _, c := range cases {
		s := ActiveCapabilities(c.in)
		got := s.List()
		if !slices.Equal(got, c.want) && !(len(got) == 0 && len(c.want) == 0) {
			t.Errorf("%s: ActiveCapabilities = %v, want %v", c.name, got, c.want)
		}
		if s.Len() != len(c.want) {
			t.Errorf("%s: Len = %d, want %d", c.name, s.Len(), len(c.want))
		}
		for k := Capability(0); k < 70; k++ {
			if s.Has(k) != slices.Contains(c.want, k) {
				t.Errorf("%s: Has(%d) = %v", c.name, k, s.Has(k))
			}
		}
	}
}

func TestCapabilitySetOps(t *testing.T) {
	ours := ActiveCapabilities(DefaultCapabilities(NodeFullNode)).With(CapRateLimitsV3)
	theirs := ActiveCapabilities([]HandshakeCapability{{1, "1"}, {3, "1"}, {7, "1"}})
	both := ours.Intersect(theirs)
	if !both.Has(CapRateLimitsV2) || !both.Has(CapRateLimitsV3) || both.Has(CapMempoolUpdates) || both.Has(CapBlockHeaders) {
		t.Errorf("Intersect = %v", both)
	}
	if got := both.String(); got != "[BASE RATE_LIMITS_V2 RATE_LIMITS_V3]" {
		t.Errorf("String = %q", got)
	}
	if CapabilitySet(0).With(9) != 0 {
		t.Error("With added an unknown capability")
	}
	if got := CapabilitySet(0).String(); got != "[]" {
		t.Errorf("empty String = %q", got)
	}
}
