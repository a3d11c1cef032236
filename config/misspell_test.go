package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestMisspellings(t *testing.T) {
	// The reference's files and chianet's own template have none: every
	// key of theirs chianet does not read is far from those it does.
	for _, name := range []string{"reference-initial.yaml", "reference-dumped.yaml"} {
		if got := mustLoad(t, newRoot(t, readTestdata(t, name))).Misspellings(); len(got) != 0 {
			t.Errorf("%s: %+v", name, got)
		}
	}
	if got := mustLoad(t, newRoot(t, defaultConfigYAML)).Misspellings(); len(got) != 0 {
		t.Errorf("the template: %+v", got)
	}
	d, err := Default(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if got := d.Misspellings(); len(got) != 0 {
		t.Errorf("Default: %+v", got)
	}

	text := strings.Join([]string{
		"self_hostnme: localhost",           // 1: a letter dropped
		"full_node: &fn",                    // 2
		"  Port: 8444",                      // 3: case
		"  target_outbond_peer_count: 3",    // 4: a letter dropped
		"  target_peer_count: 40",           // 5: right
		"  trusted_cirds: []",               // 6: two letters swapped
		"  max_inbound_timelord: 5",         // 7: the reference's, not read
		"  peer_connect_interval: 30",       // 8: the reference's, not read
		"  ssl:",                            // 9
		"    private_crtt: a.crt",           // 10: in a nested section
		"  pxrx: 1",                         // 11: short keys allow one edit only
		"seeder:",                           // 12
		"  minimum_heigth: 5",               // 13
		"  crawler:",                        // 14
		"    rpc_prot: 8561",                // 15
		"wallet:",                           // 16: a section not read
		"  rpc_prot: 9256",                  // 17
		"introducer: {port: 8445, prot: 1}", // 18: flow mappings too
		"",
	}, "\n")
	got := mustLoad(t, newRoot(t, []byte(text))).Misspellings()
	want := []Misspelling{
		{"self_hostnme", "self_hostname", 1},
		{"full_node.Port", "full_node.port", 3},
		{"full_node.target_outbond_peer_count", "full_node.target_outbound_peer_count", 4},
		{"full_node.trusted_cirds", "full_node.trusted_cidrs", 6},
		{"full_node.ssl.private_crtt", "full_node.ssl.private_crt", 10},
		{"seeder.minimum_heigth", "seeder.minimum_height", 13},
		{"seeder.crawler.rpc_prot", "seeder.crawler.rpc_port", 15},
		{"introducer.prot", "introducer.port", 18},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b  string
		limit int
		want  int
	}{
		{"port", "port", 2, 0},
		{"prot", "port", 2, 1},
		{"por", "port", 2, 1},
		{"portt", "port", 2, 1},
		{"pert", "port", 2, 1},
		{"ca", "abc", 3, 3},
		{"target_outbond_peer_count", "target_outbound_peer_count", 2, 1},
		{"rpc_port", "dns_port", 2, 3},
		{"rpc_port", "dns_port", 5, 3},
		{"abcdef", "a", 2, 3},
	} {
		if got := editDistance(c.a, c.b, c.limit); got != c.want {
			t.Errorf("editDistance(%q, %q, %d) = %d, want %d", c.a, c.b, c.limit, got, c.want)
		}
	}
}
