package main

import (
	"net/netip"
	"strings"
	"testing"
)

// --dial-from sets node.Config.DialFrom; without it the node takes its
// listen host (node.Config's default), and "0.0.0.0" or "::" leave the
// source to the system.
func TestNodeDialFromFlag(t *testing.T) {
	cases := []struct {
		args []string
		want netip.Addr
	}{
		{[]string{"--listen-host", "127.2.0.1"}, netip.Addr{}},
		{[]string{"--listen-host", "127.2.0.1", "--dial-from", "127.3.0.1"}, netip.MustParseAddr("127.3.0.1")},
		{[]string{"--listen-host", "127.2.0.1", "--dial-from", "::"}, netip.IPv6Unspecified()},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			s, err := nodeSettingsFor(t, append([]string{"--root", t.TempDir(), "--network", "devnet", "--private"}, c.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			got := s.node
			if got.DialFrom != c.want || got.ListenAddr != "127.2.0.1:0" {
				t.Errorf("DialFrom %v, ListenAddr %q; want %v, 127.2.0.1:0", got.DialFrom, got.ListenAddr, c.want)
			}
		})
	}
	_, errOut, code := chianet(t, "", "node", "--root", t.TempDir(), "--dial-from", "example.org")
	if code == 0 || !strings.Contains(errOut, "--dial-from") {
		t.Fatalf("--dial-from example.org: exit %d, %q", code, errOut)
	}
}
