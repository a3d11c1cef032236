package seeder

import (
	"net/netip"
	"slices"
	"time"
)

// EventKind names a crawler state change, as the reference's crawler
// announces them to its RPC clients.
type EventKind uint8

// The crawler's state changes.
const (
	// EventLoadedInitialPeers follows Load: the records came from the store.
	EventLoadedInitialPeers EventKind = iota + 1
	// EventCrawlBatchCompleted follows every batch that tried a peer.
	EventCrawlBatchCompleted
)

// String returns the reference's name of the state change.
func (k EventKind) String() string {
	switch k {
	case EventLoadedInitialPeers:
		return "loaded_initial_peers"
	case EventCrawlBatchCompleted:
		return "crawl_batch_completed"
	}
	return "unknown"
}

// Event is a crawler state change with the counts it carries.
type Event struct {
	Kind EventKind
	// Counts are the peer counts after the change.
	Counts PeerCounts
	// Batch describes the batch that completed; zero for
	// EventLoadedInitialPeers.
	Batch BatchStats
}

// BatchStats describe one crawl batch.
type BatchStats struct {
	// Seq is the batch's number in the store (BatchInfo.Seq); zero if it
	// was not saved.
	Seq uint64
	// Start is when the batch started; Duration how long it took, the
	// save included.
	Start    time.Time
	Duration time.Duration
	// Selected is the number of peers put in the batch; Tried those whose
	// attempt finished (fewer when the batch was cancelled).
	Selected, Tried int
	// Handshakes counts the peers that completed a handshake, Reachable
	// those that counted as reachable.
	Handshakes, Reachable int
	// New counts the addresses recorded for the first time.
	New int
	// Pruned counts the records removed for lack of a sign of life.
	Pruned int
	// Saved is the number of records written; SaveDuration the time the
	// save took; SaveErr its error after the last attempt (the records
	// are then written with the next batch).
	Saved        int
	SaveDuration time.Duration
	SaveErr      error
}

// Progress is the state of the batch under way.
type Progress struct {
	// Total is the number of peers in the batch; Done of them finished,
	// Reachable of those reachable.
	Total, Done, Reachable int
	// New counts the addresses recorded so far in the batch.
	New int
}

// PeerCounts are the crawler's counts, the fields of the reference's
// get_peer_counts answer (which wraps them in "peer_counts").
type PeerCounts struct {
	// TotalLast5Days is the number of peers with a sign of life in the
	// last FreshWindow (5 days).
	TotalLast5Days int `json:"total_last_5_days"`
	// ReliableNodes is the number of reliable peers.
	ReliableNodes int `json:"reliable_nodes"`
	// IPv4Last5Days and IPv6Last5Days split TotalLast5Days by family.
	IPv4Last5Days int `json:"ipv4_last_5_days"`
	IPv6Last5Days int `json:"ipv6_last_5_days"`
	// Versions counts the software versions of the peers that completed
	// a handshake in the last FreshWindow.
	Versions map[string]int `json:"versions"`
}

// IPsPage is a page of the addresses seen after a time, the reference's
// get_ip_after_timestamp answer.
type IPsPage struct {
	// IPs are the page's addresses, sorted as strings.
	IPs []string `json:"ips"`
	// Total is the number of addresses on every page.
	Total int `json:"total"`
}

// countRecords computes PeerCounts over recs at now.
func countRecords(recs map[string]*Record, now time.Time, window time.Duration) PeerCounts {
	pc := PeerCounts{Versions: map[string]int{}}
	since := now.Add(-window)
	for _, r := range recs {
		if r.Reliable() {
			pc.ReliableNodes++
		}
		if r.LastSeen.After(since) {
			pc.TotalLast5Days++
			if r.Addr().Is4() {
				pc.IPv4Last5Days++
			} else {
				pc.IPv6Last5Days++
			}
		}
		if r.HandshakeTime.After(since) && r.SoftwareVersion != "" {
			pc.Versions[r.SoftwareVersion]++
		}
	}
	return pc
}

// ipsAfter returns the page [offset, offset+limit) of the hosts of recs
// seen after after.
func ipsAfter(recs map[string]*Record, after time.Time, offset, limit int) IPsPage {
	var ips []string
	for _, r := range recs {
		if r.LastSeen.After(after) {
			ips = append(ips, r.Host)
		}
	}
	slices.Sort(ips)
	page := IPsPage{Total: len(ips), IPs: []string{}}
	if offset < 0 {
		offset = 0
	}
	if offset < len(ips) && limit > 0 {
		page.IPs = ips[offset:min(len(ips), offset+limit)]
	}
	return page
}

// canonicalHost returns the key of an address: the unmapped IP without
// zone in its canonical text form.
func canonicalHost(a netip.Addr) string { return a.Unmap().WithZone("").String() }
