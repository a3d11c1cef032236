package protocol

import "slices"

// This file holds the reference's request/reply rules
// (chia/protocols/protocol_state_machine.py) and its table of which node
// types may send which message
// (chia/protocols/protocol_message_type_to_node_type.py).

// validReplies is the reference VALID_REPLY_MESSAGE_MAP: for each request
// type, the reply types a peer may answer with. The reference checks only
// these requests; every other type is "not type-checked".
var validReplies = [256][]MessageType{
	MsgRequestTransaction:                {MsgRespondTransaction},
	MsgRequestProofOfWeight:              {MsgRespondProofOfWeight},
	MsgRequestBlock:                      {MsgRespondBlock, MsgRejectBlock},
	MsgRequestBlocks:                     {MsgRespondBlocks, MsgRejectBlocks},
	MsgRequestUnfinishedBlock:            {MsgRespondUnfinishedBlock},
	MsgRequestUnfinishedBlock2:           {MsgRespondUnfinishedBlock},
	MsgRequestBlockHeader:                {MsgRespondBlockHeader, MsgRejectHeaderRequest},
	MsgRequestRemovals:                   {MsgRespondRemovals, MsgRejectRemovalsRequest},
	MsgRequestAdditions:                  {MsgRespondAdditions, MsgRejectAdditionsRequest},
	MsgRequestSignagePointOrEndOfSubSlot: {MsgRespondSignagePoint, MsgRespondEndOfSubSlot},
	MsgRequestCompactVDF:                 {MsgRespondCompactVDF},
	MsgRequestPeers:                      {MsgRespondPeers},
	MsgRequestHeaderBlocks:               {MsgRespondHeaderBlocks, MsgRejectHeaderBlocks, MsgRejectBlockHeaders},
	MsgRegisterForPhUpdates:              {MsgRespondToPhUpdates},
	MsgRegisterForCoinUpdates:            {MsgRespondToCoinUpdates},
	MsgRequestChildren:                   {MsgRespondChildren},
	MsgRequestSESHashes:                  {MsgRespondSESHashes},
	MsgRequestBlockHeaders:               {MsgRespondBlockHeaders, MsgRejectBlockHeaders, MsgRejectHeaderBlocks},
	MsgRequestPeersIntroducer:            {MsgRespondPeersIntroducer},
	MsgRequestPuzzleSolution:             {MsgRespondPuzzleSolution, MsgRejectPuzzleSolution},
	MsgSendTransaction:                   {MsgTransactionAck},
	MsgRequestRemovePuzzleSubscriptions:  {MsgRespondRemovePuzzleSubscriptions},
	MsgRequestRemoveCoinSubscriptions:    {MsgRespondRemoveCoinSubscriptions},
	MsgRequestPuzzleState:                {MsgRespondPuzzleState, MsgRejectPuzzleState},
	MsgRequestCoinState:                  {MsgRespondCoinState, MsgRejectCoinState},
	MsgRequestCostInfo:                   {MsgRespondCostInfo},
}

// noReplyExpected is the reference NO_REPLY_EXPECTED list: announcements
// sent without expecting an answer. It does not overlap validReplies.
var noReplyExpected = [256]bool{
	MsgNewPeak:                       true,
	MsgNewTransaction:                true,
	MsgNewUnfinishedBlock:            true,
	MsgNewUnfinishedBlock2:           true,
	MsgNewSignagePointOrEndOfSubSlot: true,
	MsgRequestMempoolTransactions:    true,
	MsgNewCompactVDF:                 true,
	MsgCoinStateUpdate:               true,
	MsgMempoolItemsAdded:             true,
	MsgMempoolItemsRemoved:           true,
}

// ValidReplies returns the reply types a peer may answer request type req
// with, or nil if the reference does not check replies to req (it is not a
// mapped request). An error (255) reply is always acceptable too; it is not
// listed. The caller owns the returned slice.
func ValidReplies(req MessageType) []MessageType { return slices.Clone(validReplies[req]) }

// ExpectsReply reports whether req is a request with a checked reply, the
// reference message_requires_reply. Such a type may not be broadcast.
func ExpectsReply(req MessageType) bool { return validReplies[req] != nil }

// ReplyOK reports whether received is an acceptable reply to a request of
// type sent, the reference message_response_ok plus its error rule: an
// error (255) is accepted for any request (the caller then gets the Error
// payload); for a mapped request the reply must be one of ValidReplies;
// for any other request every reply passes. A false result is a protocol
// violation: the reference closes with a 10 s ban and reason "-4".
func ReplyOK(sent, received MessageType) bool {
	if received == MsgError {
		return true
	}
	replies := validReplies[sent]
	if replies == nil {
		return true
	}
	return slices.Contains(replies, received)
}

// NoReplyExpected reports whether t is in the reference NO_REPLY_EXPECTED
// list (announcements such as new_peak, and request_mempool_transactions,
// which peers answer with separate new_transaction messages).
func NoReplyExpected(t MessageType) bool { return noReplyExpected[t] }

// BroadcastAllowed reports whether t may be sent to many peers at once. A
// type that expects a reply may not: the reference treats the attempt as
// an internal error (validate_broadcast_message_type).
func BroadcastAllowed(t MessageType) bool { return !ExpectsReply(t) }

// senderMask bits, one per NodeType value.
const (
	fromFullNode   = 1 << NodeFullNode
	fromHarvester  = 1 << NodeHarvester
	fromFarmer     = 1 << NodeFarmer
	fromTimelord   = 1 << NodeTimelord
	fromIntroducer = 1 << NodeIntroducer
	fromWallet     = 1 << NodeWallet
	fromDataLayer  = 1 << NodeDataLayer
	fromSolver     = 1 << NodeSolver
	fromAll        = fromFullNode | fromHarvester | fromFarmer | fromTimelord |
		fromIntroducer | fromWallet | fromDataLayer | fromSolver
)

// allowedSenders is the reference ProtocolMessageTypeToNodeType, indexed by
// message type (transport spec Appendix B), as a mask of from* bits. An
// unknown type has no entry, so its mask is 0 and nobody may send it.
var allowedSenders = [256]uint16{
	// Shared protocol.
	MsgHandshake:            fromAll,
	MsgConfigureWindowSizes: fromAll,
	// Harvester protocol.
	MsgHarvesterHandshake:       fromFarmer,
	MsgNewProofOfSpace:          fromHarvester,
	MsgRequestSignatures:        fromFarmer,
	MsgRespondSignatures:        fromHarvester,
	MsgPartialProofs:            fromHarvester,
	MsgNewSignagePointHarvester: fromFarmer,
	MsgRequestPlots:             fromFarmer,
	MsgRespondPlots:             fromHarvester,
	MsgRespondPlots2:            fromHarvester,
	MsgPlotSyncStart:            fromHarvester,
	MsgPlotSyncLoaded:           fromHarvester,
	MsgPlotSyncLoaded2:          fromHarvester,
	MsgPlotSyncRemoved:          fromHarvester,
	MsgPlotSyncInvalid:          fromHarvester,
	MsgPlotSyncKeysMissing:      fromHarvester,
	MsgPlotSyncDuplicates:       fromHarvester,
	MsgPlotSyncDone:             fromHarvester,
	MsgPlotSyncResponse:         fromFarmer,
	// Farmer protocol.
	MsgNewSignagePoint:     fromFullNode,
	MsgDeclareProofOfSpace: fromFarmer,
	MsgRequestSignedValues: fromFullNode,
	MsgSignedValues:        fromFarmer,
	MsgFarmingInfo:         fromHarvester,
	MsgSolutionResponse:    fromSolver,
	// Timelord protocol.
	MsgNewPeakTimelord:            fromFullNode,
	MsgNewUnfinishedBlockTimelord: fromFullNode,
	MsgNewInfusionPointVDF:        fromTimelord,
	MsgNewSignagePointVDF:         fromTimelord,
	MsgNewEndOfSubSlotVDF:         fromTimelord,
	MsgRequestCompactProofOfTime:  fromFullNode,
	MsgRespondCompactProofOfTime:  fromTimelord,
	// Full node protocol.
	MsgNewPeak:                           fromFullNode,
	MsgNewTransaction:                    fromFullNode,
	MsgRequestTransaction:                fromFullNode,
	MsgRespondTransaction:                fromFullNode,
	MsgRequestProofOfWeight:              fromFullNode | fromWallet,
	MsgRespondProofOfWeight:              fromFullNode,
	MsgRequestBlock:                      fromFullNode,
	MsgRespondBlock:                      fromFullNode,
	MsgRejectBlock:                       fromFullNode,
	MsgRequestBlocks:                     fromFullNode,
	MsgRespondBlocks:                     fromFullNode,
	MsgRejectBlocks:                      fromFullNode,
	MsgNewUnfinishedBlock:                fromFullNode,
	MsgRequestUnfinishedBlock:            fromFullNode,
	MsgRespondUnfinishedBlock:            fromFullNode,
	MsgNewSignagePointOrEndOfSubSlot:     fromFullNode,
	MsgRequestSignagePointOrEndOfSubSlot: fromFullNode,
	MsgRespondSignagePoint:               fromFullNode,
	MsgRespondEndOfSubSlot:               fromFullNode,
	MsgRequestMempoolTransactions:        fromFullNode,
	MsgRequestCompactVDF:                 fromFullNode,
	MsgRespondCompactVDF:                 fromFullNode,
	MsgNewCompactVDF:                     fromFullNode,
	MsgRequestPeers:                      fromFullNode | fromWallet,
	MsgRespondPeers:                      fromFullNode,
	// Nobody may send none_response: the reference gates it behind a
	// capability that is switched off.
	MsgNoneResponse:            0,
	MsgNewUnfinishedBlock2:     fromFullNode,
	MsgRequestUnfinishedBlock2: fromFullNode,
	// Wallet protocol.
	MsgRequestPuzzleSolution:            fromWallet,
	MsgRespondPuzzleSolution:            fromFullNode,
	MsgRejectPuzzleSolution:             fromFullNode,
	MsgSendTransaction:                  fromWallet,
	MsgTransactionAck:                   fromFullNode,
	MsgNewPeakWallet:                    fromFullNode,
	MsgRequestBlockHeader:               fromWallet,
	MsgRespondBlockHeader:               fromFullNode,
	MsgRejectHeaderRequest:              fromFullNode,
	MsgRequestRemovals:                  fromWallet,
	MsgRespondRemovals:                  fromFullNode,
	MsgRejectRemovalsRequest:            fromFullNode,
	MsgRequestAdditions:                 fromWallet,
	MsgRespondAdditions:                 fromFullNode,
	MsgRejectAdditionsRequest:           fromFullNode,
	MsgRequestHeaderBlocks:              fromWallet,
	MsgRejectHeaderBlocks:               fromFullNode,
	MsgRespondHeaderBlocks:              fromFullNode,
	MsgCoinStateUpdate:                  fromFullNode,
	MsgRegisterForPhUpdates:             fromWallet,
	MsgRespondToPhUpdates:               fromFullNode,
	MsgRegisterForCoinUpdates:           fromWallet,
	MsgRespondToCoinUpdates:             fromFullNode,
	MsgRequestChildren:                  fromWallet,
	MsgRespondChildren:                  fromFullNode,
	MsgRequestSESHashes:                 fromWallet,
	MsgRespondSESHashes:                 fromFullNode,
	MsgRequestBlockHeaders:              fromWallet,
	MsgRejectBlockHeaders:               fromFullNode,
	MsgRespondBlockHeaders:              fromFullNode,
	MsgRequestFeeEstimates:              fromWallet,
	MsgRespondFeeEstimates:              fromFullNode,
	MsgRequestRemovePuzzleSubscriptions: fromWallet,
	MsgRespondRemovePuzzleSubscriptions: fromFullNode,
	MsgRequestRemoveCoinSubscriptions:   fromWallet,
	MsgRespondRemoveCoinSubscriptions:   fromFullNode,
	MsgRequestPuzzleState:               fromWallet,
	MsgRespondPuzzleState:               fromFullNode,
	MsgRejectPuzzleState:                fromFullNode,
	MsgRequestCoinState:                 fromWallet,
	MsgRespondCoinState:                 fromFullNode,
	MsgRejectCoinState:                  fromFullNode,
	MsgMempoolItemsAdded:                fromFullNode,
	MsgMempoolItemsRemoved:              fromFullNode,
	MsgRequestCostInfo:                  fromWallet,
	MsgRespondCostInfo:                  fromFullNode,
	// Introducer protocol.
	MsgRequestPeersIntroducer: fromFullNode | fromFarmer | fromWallet,
	MsgRespondPeersIntroducer: fromIntroducer,
	// Simulator protocol.
	MsgFarmNewBlock: fromFullNode,
	// Solver protocol.
	MsgSolve: fromFarmer,
	// error is handled before the sender check; every type may send it.
	MsgError: fromAll,
}

// AllowedSenders returns the node types that may send a message of type t,
// in increasing order. It is empty for none_response (allowed from nobody)
// and for unknown types. A message from any other node type makes the
// reference disconnect with a 10 s ban ("API call type mismatch").
func AllowedSenders(t MessageType) []NodeType {
	var out []NodeType
	mask := allowedSenders[t]
	for n := NodeFullNode; n <= NodeSolver; n++ {
		if mask&(1<<n) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// SenderAllowed reports whether a peer of node type n may send a message of
// type t. It is false for every unknown type, for none_response and for an
// invalid node type.
func SenderAllowed(t MessageType, n NodeType) bool {
	return n.Valid() && allowedSenders[t]&(1<<n) != 0
}
