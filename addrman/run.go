package addrman

import (
	"context"
	"time"
)

// SaveInterval returns a random delay between MinSaveInterval and
// MaxSaveInterval, in whole seconds, as the reference draws it.
func (m *Manager) SaveInterval() time.Duration {
	m.mu.Lock()
	defer m.mu.Unlock()
	span := int64((MaxSaveInterval - MinSaveInterval) / time.Second)
	return MinSaveInterval + time.Duration(m.rand.Int64N(span+1))*time.Second
}

// Run saves the manager to path after every SaveInterval until ctx is
// done, then saves once more (the shutdown save the reference lacks) and
// returns that save's error. A failed periodic save is logged and retried
// at the next interval. Run uses real timers (time.NewTimer); call it in
// its own goroutine.
func (m *Manager) Run(ctx context.Context, path string) error {
	for {
		t := time.NewTimer(m.SaveInterval())
		select {
		case <-ctx.Done():
			t.Stop()
			return m.Save(path)
		case <-t.C:
			if err := m.Save(path); err != nil {
				m.log.Warn("addrman: periodic save failed", "path", path, "err", err)
			}
		}
	}
}
