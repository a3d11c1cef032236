package rpc

import (
	"crypto/tls"

	"github.com/chianet/chianet/chiatls"
)

// ServerTLS returns the tls.Config of an RPC server or the daemon, as the
// reference's ssl_context_for_server makes it for them: service s's
// private certificate (config/ssl/<s>/private_<s>.crt), client
// certificates required and verified against the private CA
// (config/ssl/ca/private_ca.crt), TLS 1.3 at least. The reference's RPC
// servers and its daemon all present the daemon's certificate
// (chiatls.Daemon); any private certificate is accepted by clients that
// check the chain against the private CA.
func ServerTLS(tree chiatls.Tree, s chiatls.Service) (*tls.Config, error) {
	cert, pool, err := tree.Credentials(s, chiatls.Private)
	if err != nil {
		return nil, err
	}
	return chiatls.ServerConfig(cert, pool), nil
}

// ClientTLS returns the tls.Config of an RPC or daemon client: service
// s's private certificate (any private certificate is accepted; the
// reference's CLI uses the daemon's, go-chia-libs the service's own) and
// the server's chain verified against the private CA, with no hostname
// check.
func ClientTLS(tree chiatls.Tree, s chiatls.Service) (*tls.Config, error) {
	cert, pool, err := tree.Credentials(s, chiatls.Private)
	if err != nil {
		return nil, err
	}
	return chiatls.ClientConfig(cert, pool), nil
}

// tls12Suites returns the TLS 1.2 cipher suites of a daemon with
// DaemonConfig.AllowTLS12, in order of preference: the reference's
// daemon_allow_tls_1_2 list without its four ECDHE CBC suites (AES-SHA256
// and AES-SHA384), which Go either lacks or lists as insecure
// (Lucky13). The TLS 1.3 suites are not configurable and stay as they
// are.
func tls12Suites() []uint16 {
	return []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	}
}
