// Package rpc is the local RPC of chianet's services, compatible with the
// reference's (chia-blockchain's RpcServer and daemon), so that existing
// Chia tools — the chia CLI's RPC client, go-chia-libs, chia-agent,
// dashboards — work against chianet unchanged:
//
//   - Server: the HTTPS JSON RPC of one service (full node: port 8555;
//     the seeder's crawler: 8561), with mutual TLS against the private
//     CA;
//   - Daemon: the daemon's WebSocket (port 55400), routing messages to
//     chianet's services by their reference names and sending their
//     state-change notifications;
//   - Client and DaemonClient: Go clients of both.
//
// The package holds no state of the node: routes call the service through
// an interface (Service, BanList, FullNode), which package node
// implements over its server and peers.
//
// Both listen on the reference's self_hostname, localhost by default,
// which its servers accept on every loopback address. chianet does not
// look localhost up: a Server or Daemon on localhost listens on 127.0.0.1
// and, when the machine has an IPv6 loopback, on ::1 with the same port,
// so that clients resolving localhost to ::1 alone (chia-agent on Node.js
// before 20) reach it too; Addr is the 127.0.0.1 one, Addrs lists both.
// Any other host is listened on as given.
//
// # HTTPS
//
// Every route is POST https://host:port/<route> with a JSON object as the
// body ({} or an empty body when there are no fields). TLS 1.3 at least;
// the client must present a certificate signed by the private CA
// (config/ssl/ca/private_ca.crt). The reference's servers present the
// daemon's certificate (ServerTLS with chiatls.Daemon); any private
// certificate serves as a client's (ClientTLS).
//
// Responses are JSON objects with every key sorted, integers of any width
// (a uint128 weight too) as bare numbers, and the reference's envelope:
//
//	outcome                        HTTP  body
//	route succeeded                200   the route's object + "success": true
//	route failed                   200   {"success": false, "error": msg,
//	                                      "structuredError": {"code", "message", "data"}}
//	open_connection failed         200   {"success": false, "error": "could not connect to host:port: …"}
//	unknown route                  404   the error envelope, code UNKNOWN
//	method other than POST         405   the error envelope; Allow: POST
//	body over 1 MiB                413   the error envelope; the connection is closed
//	body not JSON / not an object  400   the error envelope
//
// A field of the wrong type (a string for a height, a number for a hex
// hash, …) is a failed route naming the field ("height: want an integer
// from 0 to 4294967295, got \"abc\"", code UNKNOWN, data {"field"}).
// Integers may also be strings of decimal digits and hex may omit "0x", as
// the reference's Python accepts.
//
// Slow or idle clients cannot hold the server: the TLS handshake and
// headers must arrive within ReadHeaderTimeout (10 s), the whole request
// within ReadTimeout (30 s), a response must be taken within WriteTimeout
// (60 s), and at most MaxConnections (512) are open at once; a connection
// over the cap is closed at once rather than left waiting.
//
// # Routes
//
// SharedRoutes gives the routes of every reference service:
//
//	route              request                 response (besides success)
//	get_network_info   {}                      network_name, network_prefix, genesis_challenge
//	get_connections    {node_type?: int}       connections: [Connection]
//	open_connection    {host: str, port: int}  {}
//	close_connection   {node_id: hex}          {}
//	stop_node          {}                      {}
//	get_routes         {}                      routes: ["/get_…", …]
//	get_version        {}                      version
//	healthz            {}                      {}
//	get_log_level      {}                      level, available_levels
//	set_log_level      {level: str}            level, available_levels, errors
//	reset_log_level    {}                      level, available_levels, errors
//
// A Connection has type, local_port, peer_host, peer_port,
// peer_server_port, node_id ("0x"…), creation_time and last_message_time
// (unix seconds, floats), bytes_read, bytes_written, and the full node's
// peak_height, peak_weight and peak_hash (null until the peer announced a
// peak).
//
// CrawlerRoutes adds the seeder crawler's (service chia_crawler, port
// 8561), before the shared ones:
//
//	route                    request                              response
//	get_peer_counts          {}                                   peer_counts: {total_last_5_days,
//	                                                                reliable_nodes, ipv4_last_5_days,
//	                                                                ipv6_last_5_days, versions}
//	get_ips_after_timestamp  {after: unix seconds, offset?: int   ips (sorted), total
//	                          (0), limit?: int (10000)}
//
// FullNodeRoutes adds the full node's routes. A chianet node keeps no
// chain, so it answers these from what its peers announce and send:
//
//	route                       request                               response
//	get_blockchain_state        {}                                    blockchain_state
//	get_block                   {header_hash}                         block (FullBlock)
//	get_blocks                  {start, end, exclude_header_hash?,    blocks: [FullBlock + header_hash
//	                             exclude_reorged?}                      (hex, no 0x)], heights [start, end)
//	get_block_record_by_height  {height}                              block_record
//
// get_aggsig_additional_data answers additional_data (hex, no 0x), the
// network's AGG_SIG_ME_ADDITIONAL_DATA from config.yaml as the reference
// reads it (NetworkInfo.AggSigMeAdditionalData). Each of the reference's
// 24 other full node routes (coins, mempool, fees, block records by hash,
// network space, constants, …) answers an error saying chianet keeps no
// blockchain, coin store or mempool (NotServed), never a made-up value.
// blockchain_state is the reference's answer for a full node without a
// chain loaded (see BlockchainState), so reference clients and chia show
// -s read it; block_record holds only what is known (see BlockRecord).
// The ban list is a chianet extension (BanRoutes): list_bans, ban {ip,
// seconds}, unban {ip}.
//
// # Daemon WebSocket
//
// wss://host:55400/ (GET / with an upgrade), same TLS as above, text
// frames holding a Message: {command, ack, data, request_id, destination,
// origin}. With DaemonConfig.AllowTLS12 (config.yaml's
// daemon_allow_tls_1_2, false by default) the daemon also accepts TLS
// 1.2 clients, still with a certificate of the private CA, with these
// suites: ECDHE-ECDSA and ECDHE-RSA with AES-256-GCM, ChaCha20-Poly1305
// and AES-128-GCM. Routing, by destination:
//
//	destination          handling
//	"daemon"             the daemon's commands below; the answer goes to the sender
//	an added service     its routes (the HTTPS handlers), command = route name, data = fields;
//	(chia_full_node,     "ping" answers {success: true}; ack messages are ignored;
//	chia_crawler)
//	                     the answer goes to the sockets registered under the origin
//	                     (and to the sender, if it is not one of them)
//	anything else        forwarded to every socket registered under it; dropped if none
//
// Daemon commands: ping → {success, value: "pong"}; register_service
// {service} → {success} (the socket then receives what is sent to that
// name); get_version → {version}; get_network_info → {network_name,
// network_prefix, genesis_challenge}; get_status → {genesis_initialized:
// true}; is_running {service} → {service_name, is_running};
// running_services → {running_services}; get_routes → {routes}; exit →
// {services_stopped} and DaemonConfig.Exit. The reference's commands that
// start processes, plot or keep keys answer "unknown_command <cmd> (…)";
// any other "unknown_command <cmd>". A service's answer is wrapped as the
// reference's format_response: same command and request_id, ack true,
// destination and origin swapped.
//
// Notifications (Daemon.Notify, NotifyFullNode) have ack false, a fresh
// request_id, origin the service and destination the channel:
// get_connections {connections} to wallet_ui when a connection opens or
// closes or a peer announces a peak; get_blockchain_state
// {blockchain_state} to wallet_ui and metrics when the peak changes or a
// connection opens or closes; from the crawler (NotifyCrawler),
// crawl_batch_completed and loaded_initial_peers with get_peer_counts'
// answer to metrics.
//
// The daemon pings every connection every 30 s, closes one that sends
// nothing (not even a pong) for 300 s, one that sends a non-text frame or
// a message over 50 MB, and one that does not read its messages (over
// 1024 queued); at most 64 connections, 16 service calls of each at once.
//
// # Where chianet differs from the reference
//
//   - daemon_allow_tls_1_2 admits the AEAD suites of the reference's
//     TLS 1.2 list only: its four ECDHE CBC suites (AES-128-SHA256,
//     AES-256-SHA384) are refused, since Go lacks the SHA-384 ones and
//     lists the others as insecure. A TLS 1.2 client offering nothing
//     but CBC suites fails its handshake.
//   - The services run in the daemon's process: they do not connect to it
//     as clients, and a socket cannot register under a service's name.
//   - A service's answer also reaches a sender that did not register its
//     origin (the reference drops it).
//   - Errors carry no Python traceback; requests that reach no route get
//     the JSON error envelope with their HTTP status (the reference's
//     aiohttp answers plain text, and 500 for invalid JSON); an empty
//     body is {}.
//   - close_connection accepts a unique prefix of the node id.
//   - set_log_level with an unknown level also sets "error"; level names
//     are accepted in any case.
//   - The routes chianet cannot answer truthfully fail with a clear error
//     instead of existing with made-up values; block records leave out
//     the fields a node without a chain does not know.
//   - blockchain_state is the reference's answer for a node without a
//     chain (peak null, zeros), except that sync.sync_tip_height is the
//     height of the heaviest peak a connected full node announced (0 when
//     none): the peak the node would sync to, as the field means in the
//     reference. That peak's hash and weight are in get_connections.
//
// # Clients
//
// NewClient reaches a service over HTTPS, DialDaemon the daemon (it
// registers its origin so that answers are routed back, as the reference
// requires), and DaemonClient.Service a service through the daemon. Both
// kinds of Client have the same typed helpers (NetworkInfo, Connections,
// OpenConnection, CloseConnection, StopNode, BlockchainState, Block, …)
// over Call, and return an *Error for a response with success false.
package rpc
