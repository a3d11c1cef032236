package node

import "github.com/chianet/chianet/protocol"

// ignored are the messages a full node receives routinely that a node
// without a chain or a mempool has nothing to do with. A message without a
// handler closes its connection with a ban (transport spec §4.5), so each
// of these gets peer.Ignore: reference full nodes send them unasked, and
// must not be disconnected for it.
//
// Right after the handshake a reference full node sends a full-node peer
// request_mempool_transactions (when synced), new_peak and, on its
// outbound connections, request_peers (transport spec §3.8); new_peak is
// recorded (peaks.go) and request_peers answered by discovery. The
// announcements of new transactions, blocks, signage points and compact
// proofs follow while it runs. The rest are the reference's
// NO_REPLY_EXPECTED messages a full node sends to wallets, and an
// unsolicited respond_transaction, which the reference ignores too.
//
// Requests for blocks or transactions are not here: peers ask for those
// only after we announce them, which this node never does.
var ignored = []protocol.MessageType{
	protocol.MsgRequestMempoolTransactions,
	protocol.MsgNewTransaction,
	protocol.MsgRespondTransaction,
	protocol.MsgNewUnfinishedBlock,
	protocol.MsgNewUnfinishedBlock2,
	protocol.MsgNewSignagePointOrEndOfSubSlot,
	protocol.MsgNewCompactVDF,
	protocol.MsgNewPeakWallet,
	protocol.MsgCoinStateUpdate,
	protocol.MsgMempoolItemsAdded,
	protocol.MsgMempoolItemsRemoved,
}
