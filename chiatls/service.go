package chiatls

import (
	"slices"
	"strconv"
)

// Service names a Chia service as it appears in the CHIA_ROOT/config/ssl tree
// and in config.yaml ("full_node", "wallet", ...).
type Service string

// The services the reference knows. Their string values are the directory
// and file-name parts of the certificate layout.
const (
	// FullNode is the full node ("full_node").
	FullNode Service = "full_node"
	// Wallet is the wallet ("wallet").
	Wallet Service = "wallet"
	// Farmer is the farmer ("farmer").
	Farmer Service = "farmer"
	// Harvester is the harvester ("harvester").
	Harvester Service = "harvester"
	// Timelord is the timelord ("timelord").
	Timelord Service = "timelord"
	// Crawler is the seeder's crawler ("crawler").
	Crawler Service = "crawler"
	// DataLayer is the data layer ("data_layer").
	DataLayer Service = "data_layer"
	// Daemon is the daemon, whose private certificate also serves every
	// service's RPC ("daemon").
	Daemon Service = "daemon"
	// Solver is the solver ("solver").
	Solver Service = "solver"
	// Introducer is the introducer ("introducer").
	Introducer Service = "introducer"
)

// Kind says which of the two Chia certificate families a certificate or CA
// belongs to.
type Kind uint8

const (
	// Private is the family signed by the install's own private CA
	// (ca/private_ca.*): local service-to-service links and the RPC.
	Private Kind = iota
	// Public is the family signed by the public chia CA (ca/chia_ca.*),
	// whose key is published: the peer-to-peer network.
	Public
)

// String returns "private" or "public", the prefix of the file names.
func (k Kind) String() string {
	switch k {
	case Private:
		return "private"
	case Public:
		return "public"
	default:
		return "Kind(" + strconv.Itoa(int(k)) + ")"
	}
}

// The reference's _all_private_node_names and _all_public_node_names
// (chia/ssl/create_ssl.py), in its order.
var (
	privateServices = []Service{FullNode, Wallet, Farmer, Harvester, Timelord, Crawler, DataLayer, Daemon, Solver}
	publicServices  = []Service{FullNode, Wallet, Farmer, Introducer, Timelord, DataLayer, Solver}
)

// PrivateServices returns the services that have a private certificate
// (<service>/private_<service>.{crt,key}) in the reference layout, in the
// reference's order. The caller may modify the returned slice.
func PrivateServices() []Service { return slices.Clone(privateServices) }

// PublicServices returns the services that have a public certificate
// (<service>/public_<service>.{crt,key}) in the reference layout, in the
// reference's order. The caller may modify the returned slice.
func PublicServices() []Service { return slices.Clone(publicServices) }

// HasCert reports whether the reference layout has a certificate of kind k
// for service s.
func (s Service) HasCert(k Kind) bool {
	switch k {
	case Private:
		return slices.Contains(privateServices, s)
	case Public:
		return slices.Contains(publicServices, s)
	default:
		return false
	}
}

// ServerUsesPrivateCA reports whether service s, when accepting peer
// connections, presents its private certificate and requires clients to
// hold a certificate from the private CA. This is the reference's
// authenticated_server_types (harvester, farmer, wallet, data_layer;
// chia/server/server.py). Every other service listens with its public
// certificate and the public chia CA.
func ServerUsesPrivateCA(s Service) bool {
	switch s {
	case Harvester, Farmer, Wallet, DataLayer:
		return true
	default:
		return false
	}
}

// ClientUsesPrivateCA reports whether service s, when dialling a peer,
// presents its private certificate and verifies the server against the
// private CA. This is the reference's authenticated_client_types
// (harvester only; chia/server/server.py). Every other service dials with
// its public certificate and the public chia CA.
func ClientUsesPrivateCA(s Service) bool {
	return s == Harvester
}

// ServerKind returns the certificate family service s uses when accepting
// peer connections: Private if ServerUsesPrivateCA(s), else Public.
func ServerKind(s Service) Kind {
	if ServerUsesPrivateCA(s) {
		return Private
	}
	return Public
}

// ClientKind returns the certificate family service s uses when dialling a
// peer: Private if ClientUsesPrivateCA(s), else Public.
func ClientKind(s Service) Kind {
	if ClientUsesPrivateCA(s) {
		return Private
	}
	return Public
}
