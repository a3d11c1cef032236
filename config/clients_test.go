package config

import (
	"reflect"
	"strings"
	"testing"
)

// clientKeys are the keys of config.yaml that the reference's RPC and
// daemon clients read to find chianet's services and their certificates
// (spec rpc-and-types §1.2, §2.6): the chia CLI (self_hostname, the
// services' rpc_port, daemon_ssl, private_ssl_ca), go-chia-libs (the
// services' ssl and rpc_port, daemon_port, daemon_ssl) and chia-agent
// (ui.daemon_host and ui.daemon_port for the daemon's URL, with no
// default of its own).
var clientKeys = []string{
	"self_hostname",
	"daemon_port",
	"daemon_ssl.private_crt",
	"daemon_ssl.private_key",
	"private_ssl_ca.crt",
	"private_ssl_ca.key",
	"full_node.rpc_port",
	"full_node.ssl.private_crt",
	"full_node.ssl.private_key",
	"seeder.crawler.rpc_port",
	"seeder.crawler.ssl.private_crt",
	"seeder.crawler.ssl.private_key",
	"ui.rpc_port",
	"ui.daemon_host",
	"ui.daemon_port",
	"ui.daemon_ssl.private_crt",
	"ui.daemon_ssl.private_key",
}

// lookupPath returns the value at a dotted path of generic data.
func lookupPath(m map[string]any, path string) (any, bool) {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = mm[k]; !ok {
			return nil, false
		}
	}
	return v, true
}

// TestTemplateHasClientKeys checks that the config.yaml `chianet init`
// writes holds every key those clients read, with the reference
// template's value, so that they reach chianet's RPC and daemon
// unchanged.
func TestTemplateHasClientKeys(t *testing.T) {
	ours := generic(t, defaultConfigYAML)
	ref := generic(t, readTestdata(t, "reference-initial.yaml"))
	for _, key := range clientKeys {
		want, ok := lookupPath(ref, key)
		if !ok {
			t.Fatalf("the reference template has no %s", key)
		}
		got, ok := lookupPath(ours, key)
		switch {
		case !ok:
			t.Errorf("%s is missing from chianet's template (the reference's is %v)", key, want)
		case !reflect.DeepEqual(got, want):
			t.Errorf("%s = %v, the reference's is %v", key, got, want)
		}
	}
}
