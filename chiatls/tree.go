package chiatls

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// Tree is the certificate tree of one Chia install, CHIA_ROOT/config/ssl,
// in the reference's layout:
//
//	ca/private_ca.crt, ca/private_ca.key   the install's private CA
//	ca/chia_ca.crt,    ca/chia_ca.key      the public chia CA
//	<service>/private_<service>.crt/.key   see PrivateServices
//	<service>/public_<service>.crt/.key    see PublicServices
//
// Keys are PEM PKCS#8 with mode 0600, certificates PEM with mode 0644.
// A Tree only ever creates missing files; it never replaces or rewrites an
// existing one, so an existing install's certificates keep working (and
// keep their node ids) unchanged.
//
// The zero Logger discards. A Tree holds no state besides its fields and
// may be used from several goroutines, but two processes (or goroutines)
// creating the same missing files at once may see one of them fail with an
// error wrapping fs.ErrExist; running it again then succeeds.
type Tree struct {
	// Root is the CHIA_ROOT directory, e.g. ~/.chia/mainnet. A relative
	// Root is taken relative to the working directory.
	Root string
	// Logger receives a warning for each key file readable by group or
	// others and each certificate file writable by them (the reference
	// only warns too; see CheckPermissions) and an info record for each
	// file created. Nil discards.
	Logger *slog.Logger
	// Files places the CAs and certificates config.yaml names elsewhere
	// than the default layout (the reference reads every path from
	// config.yaml). Nil means the default layout. A pair it places
	// outside the default layout is never created: it must exist, or the
	// Tree fails with a *MissingError naming the config.yaml key.
	Files *Files

	// now is the clock for new certificates (for tests); nil = time.Now.
	now func() time.Time
}

// Init creates the certificate tree under root as the reference's
// `chia init` does, creating only what is missing: see Tree.Init.
func Init(root string) error { return Tree{Root: root}.Init() }

// ErrUnknownService is returned for a service that has no certificate of
// the asked kind in the reference layout.
var ErrUnknownService = errors.New("chiatls: no such certificate in the reference layout")

// IncompleteError is returned when exactly one file of a certificate/key
// pair exists. The Tree will not guess: the lone file must be completed or
// removed by hand.
type IncompleteError struct {
	// Present is the file that exists; Missing the one that does not.
	Present, Missing string
}

// Error implements error.
func (e *IncompleteError) Error() string {
	return "chiatls: " + e.Present + " exists but " + e.Missing + " does not; remove it or restore its pair"
}

// SSLDir returns Root/config/ssl.
func (t Tree) SSLDir() string { return filepath.Join(t.Root, "config", "ssl") }

// CAPaths returns the certificate and key paths of the CA of kind k:
// those Files names, else ca/private_ca.{crt,key} or ca/chia_ca.{crt,key}.
func (t Tree) CAPaths(k Kind) (crt, key string) {
	p := t.caPair(k)
	return p.crt.path, p.key.path
}

// CertPaths returns the certificate and key paths of service s's
// certificate of kind k: those Files names, else <s>/<k>_<s>.{crt,key}.
// It does not check that the reference layout has that certificate (see
// Service.HasCert).
func (t Tree) CertPaths(s Service, k Kind) (crt, key string) {
	p := t.certPair(s, k)
	return p.crt.path, p.key.path
}

func (t Tree) logger() *slog.Logger {
	if t.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return t.Logger
}

func (t Tree) clock() time.Time {
	if t.now != nil {
		return t.now()
	}
	return time.Now()
}

// Init creates every missing file of the reference's tree: the private
// CA (made like the reference's), the public chia CA (the bundled one, see
// PublicCAPEM), a private certificate for each of PrivateServices and a
// public one for each of PublicServices, each signed by the tree's CA of
// its kind (an existing ca/chia_ca.* is used rather than the bundled one).
// Existing files are left alone, so running Init again changes nothing.
//
// Init first checks every pair of the layout and fails with an
// *IncompleteError, before creating anything, if one has only one file.
func (t Tree) Init() error {
	for _, p := range t.layout() {
		if !p.creatable {
			if err := p.mustExist(); err != nil {
				return err
			}
			continue
		}
		if _, err := pairExists(p.crt.path, p.key.path); err != nil {
			return err
		}
	}
	for _, k := range []Kind{Private, Public} {
		ca, err := t.EnsureCA(k)
		if err != nil {
			return err
		}
		services := privateServices
		if k == Public {
			services = publicServices
		}
		for _, s := range services {
			if err := t.ensureCert(s, k, ca); err != nil {
				return err
			}
		}
	}
	return nil
}

// EnsureCA returns the tree's CA of kind k, creating its files first if
// neither exists: a new private CA, or the bundled public chia CA written
// byte for byte. If exactly one of the two files exists it fails with an
// *IncompleteError.
//
// A CA that Files places outside the default layout is only loaded: if
// one of its files is missing, EnsureCA fails with a *MissingError.
func (t Tree) EnsureCA(k Kind) (*KeyPair, error) {
	p := t.caPair(k)
	if !p.creatable {
		return t.loadPair(p)
	}
	crt, key := p.crt.path, p.key.path
	both, err := pairExists(crt, key)
	if err != nil {
		return nil, err
	}
	if both {
		return t.loadPair(p)
	}
	var crtPEM, keyPEM []byte
	switch k {
	case Private:
		ca, err := NewPrivateCA(t.clock())
		if err != nil {
			return nil, err
		}
		if crtPEM, keyPEM, err = ca.MarshalPEM(); err != nil {
			return nil, err
		}
	case Public:
		crtPEM, keyPEM = PublicCAPEM()
	default:
		return nil, fmt.Errorf("chiatls: unknown certificate kind %v", k)
	}
	if err := t.writePair(crt, crtPEM, key, keyPEM); err != nil {
		return nil, err
	}
	return ParseKeyPair(crtPEM, keyPEM)
}

// EnsureService creates whichever of service s's certificates (private,
// public, or both, as the reference layout has them) are missing, each
// signed by the tree's CA of its kind, creating that CA first if it is
// missing. Existing certificates are left alone. It fails with
// ErrUnknownService if the layout has no certificate for s, and with a
// *MissingError if Files places one of its certificates, or the CA a
// missing one needs, outside the default layout and a file is missing.
func (t Tree) EnsureService(s Service) error {
	if !s.HasCert(Private) && !s.HasCert(Public) {
		return fmt.Errorf("%w: %q", ErrUnknownService, s)
	}
	for _, k := range []Kind{Private, Public} {
		if !s.HasCert(k) {
			continue
		}
		p := t.certPair(s, k)
		if !p.creatable {
			if err := p.mustExist(); err != nil {
				return err
			}
			continue
		}
		both, err := pairExists(p.crt.path, p.key.path)
		if err != nil {
			return err
		}
		if both {
			continue
		}
		ca, err := t.EnsureCA(k)
		if err != nil {
			return err
		}
		if err := t.ensureCert(s, k, ca); err != nil {
			return err
		}
	}
	return nil
}

// ensureCert creates s's certificate of kind k, signed by ca, unless both
// its files exist.
func (t Tree) ensureCert(s Service, k Kind, ca *KeyPair) error {
	pp := t.certPair(s, k)
	if !pp.creatable {
		return pp.mustExist()
	}
	crt, key := pp.crt.path, pp.key.path
	both, err := pairExists(crt, key)
	if err != nil || both {
		return err
	}
	p, err := ca.IssueNodeCert(t.clock())
	if err != nil {
		return fmt.Errorf("chiatls: %s %s certificate: %w", s, k, err)
	}
	crtPEM, keyPEM, err := p.MarshalPEM()
	if err != nil {
		return err
	}
	return t.writePair(crt, crtPEM, key, keyPEM)
}

// writePair creates a certificate and its key, key first, neither
// overwriting anything.
func (t Tree) writePair(crt string, crtPEM []byte, key string, keyPEM []byte) error {
	err := writeNewFiles(
		newFile{path: key, data: keyPEM, mode: keyFileMode},
		newFile{path: crt, data: crtPEM, mode: certFileMode},
	)
	if err != nil {
		return err
	}
	t.logger().Info("created certificate", "cert", crt, "key", key)
	return nil
}

// pairExists reports whether both files exist; it fails with an
// *IncompleteError if only one does.
func pairExists(crt, key string) (bool, error) {
	c, err := exists(crt)
	if err != nil {
		return false, err
	}
	k, err := exists(key)
	if err != nil {
		return false, err
	}
	switch {
	case c && k:
		return true, nil
	case c:
		return false, &IncompleteError{Present: crt, Missing: key}
	case k:
		return false, &IncompleteError{Present: key, Missing: crt}
	default:
		return false, nil
	}
}

func exists(path string) (bool, error) {
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	default:
		return false, fmt.Errorf("chiatls: %w", err)
	}
}

// LoadCA returns the tree's CA of kind k with its key. For Public, an
// existing ca/chia_ca.{crt,key} pair is used; if neither file exists the
// bundled public chia CA is returned (nothing is written). For Private,
// ca/private_ca.{crt,key} must exist. A CA that Files places outside the
// default layout must exist, whatever its kind.
func (t Tree) LoadCA(k Kind) (*KeyPair, error) {
	p := t.caPair(k)
	if k == Public && p.creatable {
		both, err := pairExists(p.crt.path, p.key.path)
		if err != nil {
			return nil, err
		}
		if !both {
			return PublicCA()
		}
	}
	return t.loadPair(p)
}

// CertPool returns a pool holding the certificates of the tree's CA of
// kind k, for verifying peers: every certificate in ca/private_ca.crt, or
// in ca/chia_ca.crt (the bundled public chia CA certificate if that file
// does not exist and Files does not place it elsewhere). Only the
// certificate file is read.
func (t Tree) CertPool(k Kind) (*x509.CertPool, error) {
	p := t.caPair(k)
	var data []byte
	if k == Public && p.creatable {
		ok, err := exists(p.crt.path)
		if err != nil {
			return nil, err
		}
		if !ok {
			data, _ = PublicCAPEM()
		}
	}
	if data == nil {
		// The path already includes Root: it must not be resolved again.
		return t.certPoolAt(p.crt)
	}
	return poolFromPEM(data)
}

// CertPoolFile returns a pool holding every certificate in the PEM file
// at path, for verifying peers. A relative path is taken relative to Root,
// as config.yaml's paths are (e.g. "config/ssl/ca/private_ca.crt").
func (t Tree) CertPoolFile(path string) (*x509.CertPool, error) {
	return t.certPoolAt(loc{path: t.resolve(path)})
}

// certPoolAt is CertPoolFile for a path already resolved against Root.
func (t Tree) certPoolAt(l loc) (*x509.CertPool, error) {
	data, err := t.readFile(l, certFileMode)
	if err != nil {
		return nil, err
	}
	pool, err := poolFromPEM(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", l.path, err)
	}
	return pool, nil
}

func poolFromPEM(data []byte) (*x509.CertPool, error) {
	certs, err := ParseCertificatesPEM(data)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	for _, c := range certs {
		pool.AddCert(c)
	}
	return pool, nil
}

// LoadFiles reads a certificate and key pair from the given paths, as
// LoadCertificate does for the default layout. Relative paths are taken
// relative to Root, as config.yaml's are (e.g.
// "config/ssl/full_node/public_full_node.crt").
func (t Tree) LoadFiles(crt, key string) (*KeyPair, error) {
	return t.loadPair(pair{crt: loc{path: t.resolve(crt)}, key: loc{path: t.resolve(key)}})
}

// resolve returns a path given relative to Root (as config.yaml's are) as
// a path usable from the working directory. Only paths from outside the
// Tree go through it, once (Files's are resolved by CAPaths and
// CertPaths): the Tree's own paths already start with Root, and resolving
// them again would join a relative Root twice.
func (t Tree) resolve(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(t.Root, path)
}

// LoadCertificate reads service s's certificate of kind k and its key.
// It accepts the reference's files as they are: one or more PEM
// "CERTIFICATE" blocks, and a "PRIVATE KEY" (PKCS#8) or "RSA PRIVATE KEY"
// (PKCS#1) key. Loose permissions are logged, never refused.
func (t Tree) LoadCertificate(s Service, k Kind) (*KeyPair, error) {
	return t.loadPair(t.certPair(s, k))
}

// Credentials returns what a TLS endpoint of service s using family k
// needs: s's certificate of kind k and the pool of the tree's CA of kind k.
// Use ServerKind(s) or ClientKind(s) for k to follow the reference.
func (t Tree) Credentials(s Service, k Kind) (tls.Certificate, *x509.CertPool, error) {
	p, err := t.LoadCertificate(s, k)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	pool, err := t.CertPool(k)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	return p.TLSCertificate(), pool, nil
}

// ServerConfig returns the tls.Config with which service s accepts peer
// connections in the reference: its private certificate and the private
// CA if ServerUsesPrivateCA(s), else its public certificate and the chia
// CA. It fails for a service with no such certificate in the layout (the
// crawler has no public certificate); build those with Credentials and
// the package-level ServerConfig.
func (t Tree) ServerConfig(s Service) (*tls.Config, error) {
	k := ServerKind(s)
	if !s.HasCert(k) {
		return nil, fmt.Errorf("%w: %s %s", ErrUnknownService, k, s)
	}
	cert, pool, err := t.Credentials(s, k)
	if err != nil {
		return nil, err
	}
	return ServerConfig(cert, pool), nil
}

// ClientConfig returns the tls.Config with which service s dials peers in
// the reference: its private certificate and the private CA if
// ClientUsesPrivateCA(s), else its public certificate and the chia CA. It
// fails for a service with no such certificate in the layout.
func (t Tree) ClientConfig(s Service) (*tls.Config, error) {
	k := ClientKind(s)
	if !s.HasCert(k) {
		return nil, fmt.Errorf("%w: %s %s", ErrUnknownService, k, s)
	}
	cert, pool, err := t.Credentials(s, k)
	if err != nil {
		return nil, err
	}
	return ClientConfig(cert, pool), nil
}

// NodeID returns service s's own node id as the reference computes it
// (node_id_cert_path): from its public certificate if the layout has one,
// else from its private certificate. Only the certificate file is read.
func (t Tree) NodeID(s Service) ([32]byte, error) {
	k := Private
	switch {
	case s.HasCert(Public):
		k = Public
	case s.HasCert(Private):
	default:
		return [32]byte{}, fmt.Errorf("%w: %q", ErrUnknownService, s)
	}
	crt := t.certPair(s, k).crt
	data, err := t.readFile(crt, certFileMode)
	if err != nil {
		return [32]byte{}, err
	}
	certs, err := ParseCertificatesPEM(data)
	if err != nil {
		return [32]byte{}, fmt.Errorf("%s: %w", crt.path, err)
	}
	return NodeID(certs[0]), nil
}

func (t Tree) loadPair(p pair) (*KeyPair, error) {
	crtPEM, err := t.readFile(p.crt, certFileMode)
	if err != nil {
		return nil, err
	}
	keyPEM, err := t.readFile(p.key, keyFileMode)
	if err != nil {
		return nil, err
	}
	kp, err := ParseKeyPair(crtPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%s, %s: %w", p.crt.path, p.key.path, err)
	}
	return kp, nil
}

// readFile reads a certificate or key file of at most maxPEMFileLength
// bytes, logging a warning if its permissions are looser than the
// reference allows for that kind of file (want is certFileMode or
// keyFileMode). A missing file that config.yaml names is a *MissingError.
func (t Tree) readFile(l loc, want fs.FileMode) ([]byte, error) {
	path := l.path
	f, err := os.Open(path)
	if err != nil {
		return nil, l.missing(fmt.Errorf("chiatls: %w", err))
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil {
		if p, loose := checkMode(path, fi.Mode(), want); loose {
			t.logger().Warn("loose permissions on certificate file", "path", p.Path, "mode", p.Mode, "want", p.Want)
		}
	}
	data, err := io.ReadAll(io.LimitReader(f, maxPEMFileLength+1))
	if err != nil {
		return nil, fmt.Errorf("chiatls: reading %s: %w", path, err)
	}
	if len(data) > maxPEMFileLength {
		return nil, fmt.Errorf("chiatls: %s is larger than %d bytes", path, maxPEMFileLength)
	}
	return data, nil
}

// PermissionProblem is a certificate or key file whose permissions are
// looser than the reference accepts without a warning
// (chia/ssl/ssl_check.py): a key readable, writable or executable by
// group or others, or a certificate writable by them.
type PermissionProblem struct {
	// Path is the file.
	Path string
	// Mode is its permission bits.
	Mode fs.FileMode
	// Want is the mode the reference writes: 0600 for keys, 0644 for
	// certificates.
	Want fs.FileMode
}

// String describes the problem and its fix.
func (p PermissionProblem) String() string {
	return fmt.Sprintf("%s has permissions %#o; the reference expects %#o (chmod %o %s)", p.Path, p.Mode, p.Want, p.Want, p.Path)
}

// restrictMask returns the permission bits that must not be set on a file
// the reference writes with mode want (RESTRICT_MASK_* in ssl_check.py).
func restrictMask(want fs.FileMode) fs.FileMode {
	if want == keyFileMode {
		return 0o077
	}
	return 0o022
}

func checkMode(path string, mode, want fs.FileMode) (PermissionProblem, bool) {
	if runtime.GOOS == "windows" {
		return PermissionProblem{}, false // as in the reference: POSIX modes mean nothing there
	}
	perm := mode.Perm()
	if perm&restrictMask(want) == 0 {
		return PermissionProblem{}, false
	}
	return PermissionProblem{Path: path, Mode: perm, Want: want}, true
}

// CheckPermissions reports every existing file of the tree's layout (CAs,
// and each service's certificates) whose permissions are too loose, as
// the reference's `chia init` check does. It only reports; fixing is left
// to the caller (chmod to Want). Missing files are skipped.
func (t Tree) CheckPermissions() ([]PermissionProblem, error) {
	var problems []PermissionProblem
	for _, p := range t.layout() {
		for _, f := range []struct {
			path string
			want fs.FileMode
		}{{p.crt.path, certFileMode}, {p.key.path, keyFileMode}} {
			fi, err := os.Stat(f.path)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return problems, fmt.Errorf("chiatls: %w", err)
			}
			if prob, loose := checkMode(f.path, fi.Mode(), f.want); loose {
				problems = append(problems, prob)
			}
		}
	}
	return problems, nil
}

// layout returns every pair of the reference layout, where Files places
// them: the two CAs, then the private and the public certificates.
func (t Tree) layout() []pair {
	var pairs []pair
	for _, k := range []Kind{Private, Public} {
		pairs = append(pairs, t.caPair(k))
	}
	for _, s := range privateServices {
		pairs = append(pairs, t.certPair(s, Private))
	}
	for _, s := range publicServices {
		pairs = append(pairs, t.certPair(s, Public))
	}
	return pairs
}
