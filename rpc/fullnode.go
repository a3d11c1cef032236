package rpc

import (
	"context"
	"encoding/json"
	"math"
	"net/netip"
	"time"

	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/streamable"
)

// FullNodeService is the full node's service name: its destination on
// the daemon's WebSocket and the origin of its notifications.
const FullNodeService = "chia_full_node"

// CrawlerService is the seeder crawler's service name.
const CrawlerService = "chia_crawler"

// unservedFullNodeRoutes are the reference full node's routes that need a
// blockchain, a coin store, a mempool or the consensus constants, none of
// which chianet keeps (cb:chia/full_node/full_node_rpc_api.py get_routes,
// in its order).
var unservedFullNodeRoutes = []string{
	"get_block_count_metrics",
	"get_block_record",
	"get_block_records",
	"get_block_spends",
	"get_block_spends_with_conditions",
	"get_unfinished_block_headers",
	"get_network_space",
	"get_additions_and_removals",
	"get_recent_signage_point_or_eos",
	"get_constants",
	"get_coin_records_by_puzzle_hash",
	"get_coin_records_by_puzzle_hashes",
	"get_coin_record_by_name",
	"get_coin_records_by_names",
	"get_coin_records_by_parent_ids",
	"get_coin_records_by_hint",
	"push_tx",
	"get_puzzle_and_solution",
	"get_all_mempool_tx_ids",
	"get_all_mempool_items",
	"get_mempool_item_by_tx_id",
	"get_mempool_items_by_coin_name",
	"create_block_generator",
	"get_fee_estimate",
}

// NotServed returns a route that answers every call with an error saying
// that chianet keeps no chain: its cause is ErrNoChain, its code
// CodeUnknown and its data {"route": name, "reason": "no_chain"}.
func NotServed(name string) Route {
	return Route{Name: name, Handler: func(context.Context, Params) (any, error) {
		msg := name + " is not served: " + ErrNoChain.Error() +
			" (it serves get_blockchain_state, get_block, get_blocks and get_block_record_by_height from what its peers announce and send)"
		return nil, &Error{Code: CodeUnknown, Message: msg, StructuredMessage: msg,
			Data: map[string]any{"route": name, "reason": "no_chain"}}
	}}
}

// FullNodeRoutes returns every route of a chianet full node, in this
// order:
//
//   - the full node routes a node without a chain can answer from its
//     peers: get_blockchain_state, get_block, get_blocks and
//     get_block_record_by_height;
//   - get_aggsig_additional_data, from fn's NetworkInfo;
//   - the reference's other full node routes, each answering NotServed;
//   - the ban list, a chianet extension: list_bans, ban {ip, seconds} and
//     unban {ip};
//   - the shared routes (SharedRoutes).
func FullNodeRoutes(fn FullNode, opts Options) []Route {
	api := []Route{
		{"get_blockchain_state", func(ctx context.Context, _ Params) (any, error) {
			s, err := fn.BlockchainState(ctx)
			if err != nil {
				return nil, err
			}
			return map[string]any{"blockchain_state": s}, nil
		}},
		{"get_block", func(ctx context.Context, p Params) (any, error) { return getBlock(ctx, fn, p) }},
		{"get_blocks", func(ctx context.Context, p Params) (any, error) { return getBlocks(ctx, fn, p) }},
		{"get_block_record_by_height", func(ctx context.Context, p Params) (any, error) {
			h, ok, err := p.Uint32("height")
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, newError(CodeNoHeightInRequest, "No height in request")
			}
			r, err := fn.BlockRecordByHeight(ctx, h)
			if err != nil {
				return nil, err
			}
			return map[string]any{"block_record": r}, nil
		}},
		{"get_aggsig_additional_data", func(context.Context, Params) (any, error) {
			d := fn.NetworkInfo().AggSigMeAdditionalData
			if d == "" {
				return nil, newError(CodeUnknown,
					"get_aggsig_additional_data: the network's AGG_SIG_ME_ADDITIONAL_DATA is not known")
			}
			// The reference's .hex(): no "0x".
			return map[string]any{"additional_data": d}, nil
		}},
	}
	for _, name := range unservedFullNodeRoutes {
		api = append(api, NotServed(name))
	}
	api = append(api, BanRoutes(fn)...)
	return SharedRoutes(fn, opts, api)
}

func getBlock(ctx context.Context, fn FullNode, p Params) (any, error) {
	h, ok, err := p.Bytes32("header_hash")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, newError(CodeNoHeaderHashInRequest, "No header_hash in request")
	}
	b, err := fn.Block(ctx, h)
	if err != nil {
		return nil, err
	}
	return map[string]any{"block": b}, nil
}

func getBlocks(ctx context.Context, fn FullNode, p Params) (any, error) {
	start, ok, err := p.Uint32("start")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, newError(CodeNoStartInRequest, "No start in request")
	}
	end, ok, err := p.Uint32("end")
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, newError(CodeNoEndInRequest, "No end in request")
	}
	excludeHH, _, err := p.Bool("exclude_header_hash")
	if err != nil {
		return nil, err
	}
	excludeReorged, _, err := p.Bool("exclude_reorged")
	if err != nil {
		return nil, err
	}
	out := make([]json.RawMessage, 0)
	if end > start {
		blocks, err := fn.Blocks(ctx, start, end, excludeReorged)
		if err != nil {
			return nil, err
		}
		for _, b := range blocks {
			j := b.AppendJSON(nil)
			if !excludeHH {
				// The reference adds header_hash as .hex(): no "0x".
				h, err := b.HeaderHash()
				if err != nil {
					return nil, err
				}
				hh, _ := bareHash32(h).MarshalJSON()
				j = append(j[:len(j)-1], `,"header_hash":`...)
				j = append(append(j, hh...), '}')
			}
			out = append(out, j)
		}
	}
	return map[string]any{"blocks": out}, nil
}

// maxBanSeconds bounds ban's seconds so that the duration fits a
// time.Duration.
const maxBanSeconds = math.MaxInt64 / int64(time.Second)

// BanRoutes returns the ban-list routes, a chianet extension (the
// reference has no RPC for its ban list):
//
//	route      request                    response (besides success)
//	list_bans  {}                         bans: [{ip, until}] (until: unix seconds)
//	ban        {ip: str, seconds: int}    {}; success false if the IP may not be banned
//	unban      {ip: str}                  was_banned: bool
func BanRoutes(bl BanList) []Route {
	return []Route{
		{"list_bans", func(context.Context, Params) (any, error) {
			bans := bl.Bans()
			if bans == nil {
				bans = []Ban{}
			}
			return map[string]any{"bans": bans}, nil
		}},
		{"ban", func(_ context.Context, p Params) (any, error) {
			ip, err := ipParam(p)
			if err != nil {
				return nil, err
			}
			secs, ok, err := p.Uint("seconds", uint64(maxBanSeconds))
			if err != nil {
				return nil, err
			}
			if !ok || secs == 0 {
				return nil, paramError("seconds", "want a positive number of seconds")
			}
			if !bl.Ban(ip, time.Duration(secs)*time.Second) {
				return nil, newError(CodeUnknown, "%s was not banned: localhost, exempt and trusted addresses are never banned", ip)
			}
			return nil, nil
		}},
		{"unban", func(_ context.Context, p Params) (any, error) {
			ip, err := ipParam(p)
			if err != nil {
				return nil, err
			}
			return map[string]any{"was_banned": bl.Unban(ip)}, nil
		}},
	}
}

func ipParam(p Params) (netip.Addr, error) {
	s, ok, err := p.String("ip")
	if err != nil {
		return netip.Addr{}, err
	}
	if !ok {
		return netip.Addr{}, paramError("ip", "missing")
	}
	ip, perr := netip.ParseAddr(s)
	if perr != nil {
		return netip.Addr{}, paramError("ip", "want an IP address, got %q", s)
	}
	return ip.Unmap(), nil
}

// blockFromJSON parses one element of get_blocks' blocks or get_block's
// block.
func blockFromJSON(raw []byte) (*protocol.FullBlock, error) {
	var b protocol.FullBlock
	if err := streamable.UnmarshalJSON(raw, &b); err != nil {
		return nil, err
	}
	return &b, nil
}
