package node

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"

	"github.com/chianet/chianet/addrman"
	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/protocol"
)

// maxImportSize bounds the peers file ImportPeersFile may name: far
// above any real one (the tables hold at most 81,920 addresses).
const maxImportSize = 64 << 20

// loadPeers loads cfg.PeersFile, or imports cfg.ImportPeersFile when the
// former does not exist, and logs what it found once.
func loadPeers(cfg *Config, log *slog.Logger) (*addrman.Manager, error) {
	amCfg := addrman.Config{AllowPrivate: cfg.AllowPrivate, Logger: log.With("component", "addrman")}
	addrs, err := addrman.Load(cfg.PeersFile, amCfg)
	var damaged *addrman.DamageError
	switch {
	case err == nil:
		return addrs, nil
	case errors.Is(err, fs.ErrNotExist):
	case errors.As(err, &damaged):
		log.Warn("peers file damaged; keeping the addresses that could be read",
			"path", cfg.PeersFile, "kept", damaged.Kept, "lost", damaged.Lost, "err", err)
		return addrs, nil
	default:
		return nil, fmt.Errorf("node: peers file: %w", err)
	}
	if cfg.ImportPeersFile == "" {
		log.Info("no peers file yet; starting with empty address tables", "path", cfg.PeersFile)
		return addrs, nil
	}
	imported, err := importPeers(cfg.ImportPeersFile, amCfg)
	if err != nil {
		log.Info("no peers file yet, and none imported; starting with empty address tables",
			"path", cfg.PeersFile, "import", cfg.ImportPeersFile, "reason", err)
		return addrs, nil
	}
	newCount, triedCount := imported.Counts()
	log.Info("no peers file yet; imported the addresses of another peers file, which is left as it is",
		"path", cfg.PeersFile, "import", cfg.ImportPeersFile, "addresses", newCount+triedCount)
	return imported, nil
}

// importPeers reads path, a peers file of the reference's or chianet's
// format, without writing or removing anything.
func importPeers(path string, cfg addrman.Config) (*addrman.Manager, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	data, err := io.ReadAll(io.LimitReader(f, maxImportSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxImportSize {
		return nil, fmt.Errorf("%s is larger than any peers file", path)
	}
	return addrman.Import(path, data, cfg)
}

// credentials reads service s's certificates from tree once and returns
// the listener's and the dialer's TLS configurations and our node id.
func credentials(tree *chiatls.Tree, s chiatls.Service) (server, client *tls.Config, id protocol.Bytes32, err error) {
	sk, ck := chiatls.ServerKind(s), chiatls.ClientKind(s)
	cert, pool, err := tree.Credentials(s, sk)
	if err != nil {
		return nil, nil, id, err
	}
	server = chiatls.ServerConfig(cert, pool)
	if ck != sk {
		if cert, pool, err = tree.Credentials(s, ck); err != nil {
			return nil, nil, id, err
		}
	}
	client = chiatls.ClientConfig(cert, pool)
	// The node id is that of the public certificate when the service has
	// one, as chiatls.Tree.NodeID computes it.
	idKind := chiatls.Private
	if s.HasCert(chiatls.Public) {
		idKind = chiatls.Public
	}
	var raw [32]byte
	switch idKind {
	case sk:
		raw, err = chiatls.CertificateNodeID(&server.Certificates[0])
	case ck:
		raw, err = chiatls.CertificateNodeID(&client.Certificates[0])
	default:
		raw, err = tree.NodeID(s)
	}
	return server, client, raw, err
}
