// Package chiatls holds Chia's certificate layout and the TLS settings of
// its peer-to-peer and RPC connections, compatible with the reference
// implementation (chia-blockchain) so that an existing CHIA_ROOT works
// unchanged.
//
// Chia uses two certificate families:
//
//   - Public: signed by the public chia CA, whose certificate and private
//     key are published with the reference. It is used between nodes on
//     the network. Because its key is public, a certificate from it proves
//     nothing; a peer's identity is only its node id.
//   - Private: signed by the install's own private CA, made at `chia init`.
//     It is used between one operator's services (farmer ↔ harvester, the
//     wallet, the data layer) and by the local RPC.
//
// What the package does:
//
//   - PublicCA and PublicCAPEM give the public chia CA as the reference
//     ships it, taken from github.com/chia-network/go-chia-libs/pkg/tls
//     (GetChiaCACertAndKey) rather than copied into this repository. A
//     tree's own ca/chia_ca.{crt,key} is preferred when present.
//   - NewPrivateCA makes a private CA, and KeyPair.IssueNodeCert a node
//     certificate, field for field like the reference's (RSA-2048,
//     CN=Chia, O=Chia, OU=Organic Farming Division, SAN DNS:chia.net,
//     valid until 2100-08-02, SHA-256).
//   - Tree reads and writes the CHIA_ROOT/config/ssl tree: Init creates
//     whatever is missing, atomically and never overwriting a file; the
//     Load methods accept the reference's files (PKCS#8 or PKCS#1 keys) and
//     only warn about loose permissions, as the reference does.
//     Tree.Files moves any CA or certificate to where config.yaml names it
//     (private_ssl_ca, chia_ssl_ca, daemon_ssl, <service>.ssl), relative
//     to the root unless absolute, as the reference reads them; every
//     method then uses that file. One named outside the default layout is
//     never created: a missing one is a *MissingError naming the key.
//   - ServerConfig and ClientConfig give the tls.Config of each side: TLS
//     1.3, a client certificate required and verified against the CA on
//     the server, the server's chain verified on the client, no hostname
//     check on either side.
//   - NodeID and its variants compute the node id: the SHA-256 of the DER
//     leaf certificate. ServerUsesPrivateCA and ClientUsesPrivateCA say
//     which family each service uses, as the reference decides it.
//
// What it does not do: it does not decide who may connect (bans, trusted
// peers, self-connection and duplicate checks by node id belong to the
// server package), it does not read config.yaml (its caller fills
// Tree.Files from it), it does not renew or replace certificates, and it
// never fixes file permissions by itself.
package chiatls
