package addrman

import "log/slog"

// Import returns a manager restored from data, the bytes of a peers file
// in chianet's format or the reference's binary peers.dat (as Load reads
// them), so that a node can start from another program's peers file
// without writing it: Import reads no file and touches nothing beside
// one. name only labels errors.
//
// Unlike Load, Import takes a file only if it reads whole: a damaged or
// unknown file is an error (a *DamageError for chianet's format) and no
// manager is returned. Import logs nothing; the caller reports it.
func Import(name string, data []byte, cfg Config) (*Manager, error) {
	m := newManager(cfg.withDefaults())
	log := m.log
	m.log = slog.New(slog.DiscardHandler)
	err := m.decode(name, data)
	m.log = log
	if err != nil {
		return nil, err
	}
	return m, nil
}
