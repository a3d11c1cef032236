// Package rpcinterop drives a running chianet node's RPC with the RPC
// clients of github.com/chia-network/go-chia-libs v1.3.3 (pkg/rpc).
//
// It holds only tests. TestGoChiaLibsHTTP writes a CHIA_ROOT as `chianet
// init` does (config.yaml from chianet's template, the whole certificate
// tree), runs an in-process node.Node on it with its RPC and daemon on
// loopback, records their ports in that config.yaml, and points
// go-chia-libs at the root through CHIA_ROOT: its HTTP client finds
// full_node.rpc_port and full_node.ssl there, calls get_network_info,
// get_connections, get_blockchain_state, get_block_record_by_height,
// open_connection, close_connection and stop_node, and decodes every
// reply into its own types. TestGoChiaLibsWebsocket does the same through
// the daemon (daemon_port, daemon_ssl): it registers, receives the
// get_connections notification sent when a peer connects, and gets
// get_blockchain_state from chia_full_node.
//
// TestGoChiaLibsCrawler crawls two in-process nodes with a
// seeder.Crawler whose RPC listens on loopback, records its port as
// seeder.crawler.rpc_port, and reads get_peer_counts,
// get_ips_after_timestamp, get_network_info and get_version with
// go-chia-libs' CrawlerService (which presents the crawler's private
// certificate). TestGoChiaLibsCrawlerWebsocket subscribes to metrics on
// the crawler's own daemon, as chia-exporter does, and receives
// crawl_batch_completed after a batch.
//
// go-chia-libs reaches "localhost" unless told otherwise; the tests give
// it 127.0.0.1 (rpc.WithBaseURL), so that no host name is looked up.
// go-chia-libs' websocket client in sync mode registers the handler for
// an answer only after writing the request, so an answer quicker than
// that is missed and the call times out; the websocket test tries such a
// call again (register_service and get_blockchain_state are idempotent).
// go-chia-libs has no helpers for open_connection, close_connection and
// stop_node; the tests call them through its generic rpc.Do.
package rpcinterop
