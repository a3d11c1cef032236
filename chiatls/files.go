package chiatls

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
)

// ConfigFile is a certificate or key file as config.yaml names it.
type ConfigFile struct {
	// Name is the config.yaml key, such as "full_node.ssl.public_crt";
	// errors about the file name it.
	Name string
	// Path is the key's value, relative to the Tree's Root unless
	// absolute, as the reference reads it. Empty means the default
	// layout's file.
	Path string
}

// ConfigPair is a certificate and its key as config.yaml names them.
type ConfigPair struct {
	Crt, Key ConfigFile
}

// Slot is one certificate of the layout: service Service's of kind Kind.
type Slot struct {
	Service Service
	Kind    Kind
}

// Files places certificates where config.yaml names them rather than
// where the default layout has them. A CA or certificate it does not
// list is in the default layout.
type Files struct {
	// CA holds the CAs' entries: private_ssl_ca for Private, chia_ssl_ca
	// for Public.
	CA map[Kind]ConfigPair
	// Cert holds the services' entries, e.g. daemon_ssl for
	// {Daemon, Private} and full_node.ssl's public_crt and public_key for
	// {FullNode, Public}.
	Cert map[Slot]ConfigPair
}

// MissingError is returned when a file config.yaml names outside the
// default layout does not exist. The Tree never creates such a file: the
// operator chose the place, and a certificate made there would silently
// replace the one they meant (the reference fails to start too).
type MissingError struct {
	// Name is the config.yaml key and Path the file it names, resolved
	// against Root.
	Name, Path string
}

// Error implements error.
func (e *MissingError) Error() string {
	return "chiatls: " + e.Path + " (config.yaml " + e.Name + ") does not exist"
}

// Unwrap returns fs.ErrNotExist.
func (e *MissingError) Unwrap() error { return fs.ErrNotExist }

// loc is one file of a pair: its path (already resolved against Root) and
// the config.yaml key naming it, empty for the default layout's.
type loc struct{ path, name string }

// pair is a certificate/key pair as the Tree resolved it. creatable says
// that both files are where the default layout has a pair of the same
// kind, so the Tree may create them as `chia init` would; otherwise they
// must exist.
type pair struct {
	crt, key  loc
	creatable bool
}

// defaultCA returns the default layout's paths of the CA of kind k.
func (t Tree) defaultCA(k Kind) (crt, key string) {
	base := "private_ca"
	if k == Public {
		base = "chia_ca"
	}
	p := filepath.Join(t.SSLDir(), "ca", base)
	return p + ".crt", p + ".key"
}

// defaultCert returns the default layout's paths of s's certificate of
// kind k.
func (t Tree) defaultCert(s Service, k Kind) (crt, key string) {
	p := filepath.Join(t.SSLDir(), string(s), k.String()+"_"+string(s))
	return p + ".crt", p + ".key"
}

// caPair returns where the CA of kind k is.
func (t Tree) caPair(k Kind) pair {
	crt, key := t.defaultCA(k)
	var c ConfigPair
	if t.Files != nil {
		c = t.Files.CA[k]
	}
	p := t.place(crt, key, c)
	if c.Crt.Path != "" || c.Key.Path != "" {
		p.creatable = sameFiles(p, crt, key)
	}
	return p
}

// certPair returns where s's certificate of kind k is.
func (t Tree) certPair(s Service, k Kind) pair {
	crt, key := t.defaultCert(s, k)
	var c ConfigPair
	if t.Files != nil {
		c = t.Files.Cert[Slot{s, k}]
	}
	p := t.place(crt, key, c)
	if c.Crt.Path != "" || c.Key.Path != "" {
		// Any service's default pair of the same kind: the reference's
		// introducer.ssl names the full node's public certificate.
		services := privateServices
		if k == Public {
			services = publicServices
		}
		p.creatable = false
		for _, o := range services {
			if dc, dk := t.defaultCert(o, k); sameFiles(p, dc, dk) {
				p.creatable = true
				break
			}
		}
	}
	return p
}

// place applies config.yaml's entry c to the default paths crt and key of
// a pair, as creatable. When c names a file, the callers decide whether
// the pair is still a default one, which `chia init` makes, so that
// creating it changes nothing an operator chose.
func (t Tree) place(crt, key string, c ConfigPair) pair {
	p := pair{crt: loc{path: crt}, key: loc{path: key}, creatable: true}
	if c.Crt.Path != "" {
		p.crt = loc{path: t.resolve(c.Crt.Path), name: c.Crt.Name}
	}
	if c.Key.Path != "" {
		p.key = loc{path: t.resolve(c.Key.Path), name: c.Key.Name}
	}
	return p
}

// sameFiles reports whether p's files are crt and key.
func sameFiles(p pair, crt, key string) bool {
	return filepath.Clean(p.crt.path) == filepath.Clean(crt) && filepath.Clean(p.key.path) == filepath.Clean(key)
}

// missing returns a *MissingError for a file named by config.yaml, err
// otherwise.
func (l loc) missing(err error) error {
	if l.name != "" && errors.Is(err, fs.ErrNotExist) {
		return &MissingError{Name: l.name, Path: l.path}
	}
	return err
}

// mustExist checks that both files of p exist, naming the config.yaml key
// of the first missing one.
func (p pair) mustExist() error {
	for _, l := range []loc{p.crt, p.key} {
		ok, err := exists(l.path)
		if err != nil {
			return err
		}
		if !ok && l.name != "" {
			return &MissingError{Name: l.name, Path: l.path}
		}
		if !ok {
			return fmt.Errorf("chiatls: %s: %w", l.path, fs.ErrNotExist)
		}
	}
	return nil
}
