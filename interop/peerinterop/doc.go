// Package peerinterop connects third-party Chia peer clients to chianet's
// peer package over real loopback sockets.
//
// It holds only tests. TestGoChiaLibsClient runs a chianet listener
// (peer.Handler behind an httptest TLS server with the public full_node
// certificate of a fresh CHIA_ROOT) and drives it with the peer client of
// github.com/chia-network/go-chia-libs v1.3.3 (pkg/peerprotocol) holding a
// certificate go-chia-libs generated itself, signed by the public chia CA
// (pkg/tls GenerateCASignedCert). The client handshakes, sends
// request_peers and decodes chianet's respond_peers with its own codec;
// the test checks both sides: what go-chia-libs decoded (the handshake
// reply and the peer list), and what chianet saw (the handshake, the
// id-less request, the node id, and how the connection ended).
//
// What go-chia-libs v1.3.3 does that a reference peer would not, and that
// chianet has to accept:
//
//   - Handshake announces FULL_NODE, protocol_version "0.0.33",
//     software_version "2.0.0", capabilities [(1, "1")] only, and the
//     remote port as its own server_port.
//   - Every message goes out with id None, requests included, so the
//     reply must come back id-less (chianet answers an id-less request
//     id-less, as the reference does).
//   - Handshake only sends; the caller reads the reply with ReadOne.
//   - The client verifies nothing about the server's certificate
//     (InsecureSkipVerify, no VerifyConnection); it only hashes it for
//     PeerID.
//   - ReadOne reports a read error as a decoding error of empty input
//     ("requested more bytes than available"), and a ReadOne that times
//     out leaves its reader goroutine blocked until the connection closes.
//   - Close closes the socket without a WebSocket close frame, so chianet
//     records an abnormal closure (1006) by the peer, without a ban.
//
// The module is nested (github.com/chianet/chianet/interop) so that
// go-chia-libs and its gorilla/websocket never become dependencies of the
// main module.
package peerinterop
