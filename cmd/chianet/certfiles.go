package main

import (
	"path/filepath"

	"github.com/chianet/chianet/chiatls"
	"github.com/chianet/chianet/config"
)

// certFiles returns where file's config.yaml places the certificates
// chianet's services use, as the reference reads them: the CAs
// (private_ssl_ca, chia_ssl_ca), the RPC's daemon_ssl, the full node's
// full_node.ssl (also the crawler's, which the reference runs as a full
// node), introducer.ssl and seeder.crawler.ssl. The template's values name
// the default layout, so a default root keeps it.
func certFiles(file *config.Config) *chiatls.Files {
	ca := func(key string, f config.CAFiles) chiatls.ConfigPair {
		return chiatls.ConfigPair{
			Crt: chiatls.ConfigFile{Name: key + ".crt", Path: f.Crt},
			Key: chiatls.ConfigFile{Name: key + ".key", Path: f.Key},
		}
	}
	private := func(key string, f config.SSLFiles) chiatls.ConfigPair {
		return chiatls.ConfigPair{
			Crt: chiatls.ConfigFile{Name: key + ".private_crt", Path: f.PrivateCrt},
			Key: chiatls.ConfigFile{Name: key + ".private_key", Path: f.PrivateKey},
		}
	}
	public := func(key string, f config.SSLFiles) chiatls.ConfigPair {
		return chiatls.ConfigPair{
			Crt: chiatls.ConfigFile{Name: key + ".public_crt", Path: f.PublicCrt},
			Key: chiatls.ConfigFile{Name: key + ".public_key", Path: f.PublicKey},
		}
	}
	files := &chiatls.Files{
		CA: map[chiatls.Kind]chiatls.ConfigPair{
			chiatls.Private: ca("private_ssl_ca", file.PrivateSSLCA),
			chiatls.Public:  ca("chia_ssl_ca", file.ChiaSSLCA),
		},
		Cert: map[chiatls.Slot]chiatls.ConfigPair{
			{Service: chiatls.Daemon, Kind: chiatls.Private}:    private("daemon_ssl", file.DaemonSSL),
			{Service: chiatls.FullNode, Kind: chiatls.Private}:  private("full_node.ssl", file.FullNode.SSL),
			{Service: chiatls.FullNode, Kind: chiatls.Public}:   public("full_node.ssl", file.FullNode.SSL),
			{Service: chiatls.Introducer, Kind: chiatls.Public}: public("introducer.ssl", file.Introducer.SSL),
			{Service: chiatls.Crawler, Kind: chiatls.Private}:   private("seeder.crawler.ssl", file.Seeder.Crawler.SSL),
		},
	}
	// The reference's template points introducer.ssl at the full node's
	// public certificate, so an introducer and a node on one root share a
	// node id and the introducer refuses to vet that node as itself. When
	// introducer.ssl names the full node's pair, the introducer keeps a
	// certificate of its own (introducer/public_introducer) instead.
	in, fn := file.Introducer.SSL, file.FullNode.SSL
	if samePath(in.PublicCrt, fn.PublicCrt) && samePath(in.PublicKey, fn.PublicKey) {
		delete(files.Cert, chiatls.Slot{Service: chiatls.Introducer, Kind: chiatls.Public})
	}
	return files
}

// samePath reports whether two config.yaml paths, both relative to the
// root unless absolute, name the same file.
func samePath(a, b string) bool {
	return a != "" && filepath.Clean(filepath.FromSlash(a)) == filepath.Clean(filepath.FromSlash(b))
}
