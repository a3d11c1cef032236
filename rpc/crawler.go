package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

// The crawler's state changes, the commands of its notifications.
const (
	// CrawlBatchCompleted follows every crawl batch.
	CrawlBatchCompleted = "crawl_batch_completed"
	// LoadedInitialPeers follows the loading of the crawler's store.
	LoadedInitialPeers = "loaded_initial_peers"
)

// DefaultIPsLimit is get_ips_after_timestamp's limit when the request
// gives none, as in the reference.
const DefaultIPsLimit = 10_000

// PeerCounts is get_peer_counts' "peer_counts".
type PeerCounts struct {
	// TotalLast5Days counts the peers with a sign of life in the last 5
	// days.
	TotalLast5Days int `json:"total_last_5_days"`
	// ReliableNodes counts the reliable peers, those a DNS seeder hands
	// out.
	ReliableNodes int `json:"reliable_nodes"`
	// IPv4Last5Days and IPv6Last5Days split TotalLast5Days by family.
	IPv4Last5Days int `json:"ipv4_last_5_days"`
	IPv6Last5Days int `json:"ipv6_last_5_days"`
	// Versions counts the software versions of the peers met in the
	// last 5 days, by version.
	Versions map[string]int `json:"versions"`
}

// Crawler is what the crawler's routes need of the seeder's crawler.
// Implementations must be safe for concurrent use.
type Crawler interface {
	Service
	// PeerCounts returns get_peer_counts' peer_counts.
	PeerCounts() PeerCounts
	// IPsAfterTimestamp returns the addresses with a sign of life after
	// after, sorted as strings: from the offset-th on, at most limit of
	// them (none for limit 0), and how many there are in all.
	IPsAfterTimestamp(after time.Time, offset, limit int) (ips []string, total int)
}

// CrawlerRoutes returns every route of the seeder's crawler (service
// CrawlerService, port CrawlerPort): get_peer_counts and
// get_ips_after_timestamp, then the shared routes (SharedRoutes).
//
//	route                    request                           response (besides success)
//	get_peer_counts          {}                                peer_counts: {total_last_5_days, reliable_nodes,
//	                                                             ipv4_last_5_days, ipv6_last_5_days, versions: {version: count}}
//	get_ips_after_timestamp  {after: unix seconds, offset?: int ips: [str] (sorted), total: int
//	                          (0), limit?: int (10000)}
func CrawlerRoutes(cr Crawler, opts Options) []Route {
	api := []Route{
		{"get_peer_counts", func(context.Context, Params) (any, error) {
			return map[string]any{"peer_counts": peerCounts(cr)}, nil
		}},
		{"get_ips_after_timestamp", func(_ context.Context, p Params) (any, error) { return ipsAfterTimestamp(cr, p) }},
	}
	return SharedRoutes(cr, opts, api)
}

// peerCounts returns cr's counts with versions as an object, never null.
func peerCounts(cr Crawler) PeerCounts {
	pc := cr.PeerCounts()
	if pc.Versions == nil {
		pc.Versions = map[string]int{}
	}
	return pc
}

// maxTimestamp bounds after, so that any number of seconds makes a Time:
// it is far beyond any record's time.
const maxTimestamp = 1 << 50

func ipsAfterTimestamp(cr Crawler, p Params) (any, error) {
	after, err := timestampParam(p, "after")
	if err != nil {
		return nil, err
	}
	offset, _, err := p.Uint("offset", math.MaxInt32)
	if err != nil {
		return nil, err
	}
	limit, ok, err := p.Uint("limit", math.MaxInt32)
	if err != nil {
		return nil, err
	}
	if !ok {
		limit = DefaultIPsLimit
	}
	ips, total := cr.IPsAfterTimestamp(after, int(offset), int(limit))
	if ips == nil {
		ips = []string{}
	}
	return map[string]any{"ips": ips, "total": total}, nil
}

// timestampParam reads a required field of unix seconds, 0 or more, an
// integer or not (the reference compares it with whole seconds, so a
// fraction counts as the second it is in).
func timestampParam(p Params, name string) (time.Time, error) {
	raw, ok := p[name]
	if !ok || raw == nil {
		return time.Time{}, paramError(name, "missing: it is required and must be a unix timestamp")
	}
	var s string
	switch t := raw.(type) {
	case json.Number:
		s = string(t)
	case string:
		s = strings.TrimSpace(t)
	default:
		return time.Time{}, paramError(name, "want a unix timestamp (seconds, 0 or more), got %s", kindOf(raw))
	}
	f, perr := strconv.ParseFloat(s, 64)
	// A number too large for a float64 is +Inf, after every record.
	if (perr != nil && !errors.Is(perr, strconv.ErrRange)) || math.IsNaN(f) || f < 0 {
		return time.Time{}, paramError(name, "want a unix timestamp (seconds, 0 or more), got %s", strconv.Quote(s))
	}
	return time.Unix(int64(math.Floor(min(f, maxTimestamp))), 0), nil
}

// NotifyCrawler sends a crawler state change to the sockets registered as
// Metrics, as the reference's crawler does: command change
// (CrawlBatchCompleted or LoadedInitialPeers) with get_peer_counts'
// answer, {peer_counts: {...}, success: true}, from origin CrawlerService.
// It returns how many sockets it was queued for; nothing is encoded when
// there are none.
func NotifyCrawler(d *Daemon, change string, counts PeerCounts) (int, error) {
	if d.Listeners(Metrics) == 0 {
		return 0, nil
	}
	if counts.Versions == nil {
		counts.Versions = map[string]int{}
	}
	return d.Notify(CrawlerService, Metrics, change, map[string]any{"peer_counts": counts})
}

// PeerCounts calls get_peer_counts.
func (c *Client) PeerCounts(ctx context.Context) (PeerCounts, error) {
	var r struct {
		PeerCounts PeerCounts `json:"peer_counts"`
	}
	err := c.Call(ctx, "get_peer_counts", nil, &r)
	return r.PeerCounts, err
}

// IPsAfterTimestamp calls get_ips_after_timestamp: the addresses seen
// after after (whole seconds), from offset, at most limit of them, and
// how many there are in all.
func (c *Client) IPsAfterTimestamp(ctx context.Context, after time.Time, offset, limit int) ([]string, int, error) {
	var r struct {
		IPs   []string `json:"ips"`
		Total int      `json:"total"`
	}
	req := map[string]any{"after": after.Unix(), "offset": offset, "limit": limit}
	err := c.Call(ctx, "get_ips_after_timestamp", req, &r)
	return r.IPs, r.Total, err
}
