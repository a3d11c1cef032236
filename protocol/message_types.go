package protocol

import (
	"slices"
	"strconv"
)

// MessageType is the type byte of a Message: which payload its data holds
// and which handler receives it. The values are the reference
// ProtocolMessageTypes enum. The wire carries a plain u8, so a MessageType
// may hold a value that names no message; Known tells them apart.
//
// Ids 2 and 4 are unassigned: 2 was handshake_ack (removed in 2021; the
// handshake is one symmetric exchange) and 4 was the first
// new_signage_point_harvester (moved to 66). Receiving either is an
// unknown message type.
type MessageType uint8

// The reference message types. Each constant's comment names the payload
// type its Message.data holds.
const (
	// MsgHandshake (1, handshake) carries Handshake.
	MsgHandshake MessageType = 1
	// MsgHarvesterHandshake (3, harvester_handshake) carries HarvesterHandshake.
	MsgHarvesterHandshake MessageType = 3
	// MsgNewProofOfSpace (5, new_proof_of_space) carries NewProofOfSpace.
	MsgNewProofOfSpace MessageType = 5
	// MsgRequestSignatures (6, request_signatures) carries RequestSignatures.
	MsgRequestSignatures MessageType = 6
	// MsgRespondSignatures (7, respond_signatures) carries RespondSignatures.
	MsgRespondSignatures MessageType = 7
	// MsgNewSignagePoint (8, new_signage_point) carries NewSignagePoint.
	MsgNewSignagePoint MessageType = 8
	// MsgDeclareProofOfSpace (9, declare_proof_of_space) carries DeclareProofOfSpace.
	MsgDeclareProofOfSpace MessageType = 9
	// MsgRequestSignedValues (10, request_signed_values) carries RequestSignedValues.
	MsgRequestSignedValues MessageType = 10
	// MsgSignedValues (11, signed_values) carries SignedValues.
	MsgSignedValues MessageType = 11
	// MsgFarmingInfo (12, farming_info) carries FarmingInfo.
	MsgFarmingInfo MessageType = 12
	// MsgNewPeakTimelord (13, new_peak_timelord) carries NewPeakTimelord.
	MsgNewPeakTimelord MessageType = 13
	// MsgNewUnfinishedBlockTimelord (14, new_unfinished_block_timelord) carries NewUnfinishedBlockTimelord.
	MsgNewUnfinishedBlockTimelord MessageType = 14
	// MsgNewInfusionPointVDF (15, new_infusion_point_vdf) carries NewInfusionPointVDF.
	MsgNewInfusionPointVDF MessageType = 15
	// MsgNewSignagePointVDF (16, new_signage_point_vdf) carries NewSignagePointVDF.
	MsgNewSignagePointVDF MessageType = 16
	// MsgNewEndOfSubSlotVDF (17, new_end_of_sub_slot_vdf) carries NewEndOfSubSlotVDF.
	MsgNewEndOfSubSlotVDF MessageType = 17
	// MsgRequestCompactProofOfTime (18, request_compact_proof_of_time) carries RequestCompactProofOfTime.
	MsgRequestCompactProofOfTime MessageType = 18
	// MsgRespondCompactProofOfTime (19, respond_compact_proof_of_time) carries RespondCompactProofOfTime.
	MsgRespondCompactProofOfTime MessageType = 19
	// MsgNewPeak (20, new_peak) carries NewPeak.
	MsgNewPeak MessageType = 20
	// MsgNewTransaction (21, new_transaction) carries NewTransaction.
	MsgNewTransaction MessageType = 21
	// MsgRequestTransaction (22, request_transaction) carries RequestTransaction.
	MsgRequestTransaction MessageType = 22
	// MsgRespondTransaction (23, respond_transaction) carries RespondTransaction.
	MsgRespondTransaction MessageType = 23
	// MsgRequestProofOfWeight (24, request_proof_of_weight) carries RequestProofOfWeight.
	MsgRequestProofOfWeight MessageType = 24
	// MsgRespondProofOfWeight (25, respond_proof_of_weight) carries RespondProofOfWeight.
	MsgRespondProofOfWeight MessageType = 25
	// MsgRequestBlock (26, request_block) carries RequestBlock.
	MsgRequestBlock MessageType = 26
	// MsgRespondBlock (27, respond_block) carries RespondBlock.
	MsgRespondBlock MessageType = 27
	// MsgRejectBlock (28, reject_block) carries RejectBlock.
	MsgRejectBlock MessageType = 28
	// MsgRequestBlocks (29, request_blocks) carries RequestBlocks.
	MsgRequestBlocks MessageType = 29
	// MsgRespondBlocks (30, respond_blocks) carries RespondBlocks.
	MsgRespondBlocks MessageType = 30
	// MsgRejectBlocks (31, reject_blocks) carries RejectBlocks.
	MsgRejectBlocks MessageType = 31
	// MsgNewUnfinishedBlock (32, new_unfinished_block) carries NewUnfinishedBlock.
	MsgNewUnfinishedBlock MessageType = 32
	// MsgRequestUnfinishedBlock (33, request_unfinished_block) carries RequestUnfinishedBlock.
	MsgRequestUnfinishedBlock MessageType = 33
	// MsgRespondUnfinishedBlock (34, respond_unfinished_block) carries RespondUnfinishedBlock.
	MsgRespondUnfinishedBlock MessageType = 34
	// MsgNewSignagePointOrEndOfSubSlot (35, new_signage_point_or_end_of_sub_slot) carries NewSignagePointOrEndOfSubSlot.
	MsgNewSignagePointOrEndOfSubSlot MessageType = 35
	// MsgRequestSignagePointOrEndOfSubSlot (36, request_signage_point_or_end_of_sub_slot) carries RequestSignagePointOrEndOfSubSlot.
	MsgRequestSignagePointOrEndOfSubSlot MessageType = 36
	// MsgRespondSignagePoint (37, respond_signage_point) carries RespondSignagePoint.
	MsgRespondSignagePoint MessageType = 37
	// MsgRespondEndOfSubSlot (38, respond_end_of_sub_slot) carries RespondEndOfSubSlot.
	MsgRespondEndOfSubSlot MessageType = 38
	// MsgRequestMempoolTransactions (39, request_mempool_transactions) carries RequestMempoolTransactions.
	MsgRequestMempoolTransactions MessageType = 39
	// MsgRequestCompactVDF (40, request_compact_vdf) carries RequestCompactVDF.
	MsgRequestCompactVDF MessageType = 40
	// MsgRespondCompactVDF (41, respond_compact_vdf) carries RespondCompactVDF.
	MsgRespondCompactVDF MessageType = 41
	// MsgNewCompactVDF (42, new_compact_vdf) carries NewCompactVDF.
	MsgNewCompactVDF MessageType = 42
	// MsgRequestPeers (43, request_peers) carries RequestPeers.
	MsgRequestPeers MessageType = 43
	// MsgRespondPeers (44, respond_peers) carries RespondPeers.
	MsgRespondPeers MessageType = 44
	// MsgRequestPuzzleSolution (45, request_puzzle_solution) carries RequestPuzzleSolution.
	MsgRequestPuzzleSolution MessageType = 45
	// MsgRespondPuzzleSolution (46, respond_puzzle_solution) carries RespondPuzzleSolution.
	MsgRespondPuzzleSolution MessageType = 46
	// MsgRejectPuzzleSolution (47, reject_puzzle_solution) carries RejectPuzzleSolution.
	MsgRejectPuzzleSolution MessageType = 47
	// MsgSendTransaction (48, send_transaction) carries SendTransaction.
	MsgSendTransaction MessageType = 48
	// MsgTransactionAck (49, transaction_ack) carries TransactionAck.
	MsgTransactionAck MessageType = 49
	// MsgNewPeakWallet (50, new_peak_wallet) carries NewPeakWallet.
	MsgNewPeakWallet MessageType = 50
	// MsgRequestBlockHeader (51, request_block_header) carries RequestBlockHeader.
	MsgRequestBlockHeader MessageType = 51
	// MsgRespondBlockHeader (52, respond_block_header) carries RespondBlockHeader.
	MsgRespondBlockHeader MessageType = 52
	// MsgRejectHeaderRequest (53, reject_header_request) carries RejectHeaderRequest.
	MsgRejectHeaderRequest MessageType = 53
	// MsgRequestRemovals (54, request_removals) carries RequestRemovals.
	MsgRequestRemovals MessageType = 54
	// MsgRespondRemovals (55, respond_removals) carries RespondRemovals.
	MsgRespondRemovals MessageType = 55
	// MsgRejectRemovalsRequest (56, reject_removals_request) carries RejectRemovalsRequest.
	MsgRejectRemovalsRequest MessageType = 56
	// MsgRequestAdditions (57, request_additions) carries RequestAdditions.
	MsgRequestAdditions MessageType = 57
	// MsgRespondAdditions (58, respond_additions) carries RespondAdditions.
	MsgRespondAdditions MessageType = 58
	// MsgRejectAdditionsRequest (59, reject_additions_request) carries RejectAdditionsRequest.
	MsgRejectAdditionsRequest MessageType = 59
	// MsgRequestHeaderBlocks (60, request_header_blocks) carries RequestHeaderBlocks.
	MsgRequestHeaderBlocks MessageType = 60
	// MsgRejectHeaderBlocks (61, reject_header_blocks) carries RejectHeaderBlocks.
	MsgRejectHeaderBlocks MessageType = 61
	// MsgRespondHeaderBlocks (62, respond_header_blocks) carries RespondHeaderBlocks.
	MsgRespondHeaderBlocks MessageType = 62
	// MsgRequestPeersIntroducer (63, request_peers_introducer) carries RequestPeersIntroducer.
	MsgRequestPeersIntroducer MessageType = 63
	// MsgRespondPeersIntroducer (64, respond_peers_introducer) carries RespondPeersIntroducer.
	MsgRespondPeersIntroducer MessageType = 64
	// MsgFarmNewBlock (65, farm_new_block) carries FarmNewBlockProtocol.
	MsgFarmNewBlock MessageType = 65
	// MsgNewSignagePointHarvester (66, new_signage_point_harvester) carries NewSignagePointHarvester2 (not the older
	// NewSignagePointHarvester, which no handler reads any more).
	MsgNewSignagePointHarvester MessageType = 66
	// MsgRequestPlots (67, request_plots) carries RequestPlots.
	MsgRequestPlots MessageType = 67
	// MsgRespondPlots (68, respond_plots) carries RespondPlots.
	MsgRespondPlots MessageType = 68
	// MsgCoinStateUpdate (69, coin_state_update) carries CoinStateUpdate.
	MsgCoinStateUpdate MessageType = 69
	// MsgRegisterForPhUpdates (70, register_for_ph_updates) carries RegisterForPhUpdates.
	MsgRegisterForPhUpdates MessageType = 70
	// MsgRespondToPhUpdates (71, respond_to_ph_updates) carries RespondToPhUpdates.
	MsgRespondToPhUpdates MessageType = 71
	// MsgRegisterForCoinUpdates (72, register_for_coin_updates) carries RegisterForCoinUpdates.
	MsgRegisterForCoinUpdates MessageType = 72
	// MsgRespondToCoinUpdates (73, respond_to_coin_updates) carries RespondToCoinUpdates.
	MsgRespondToCoinUpdates MessageType = 73
	// MsgRequestChildren (74, request_children) carries RequestChildren.
	MsgRequestChildren MessageType = 74
	// MsgRespondChildren (75, respond_children) carries RespondChildren.
	MsgRespondChildren MessageType = 75
	// MsgRequestSESHashes (76, request_ses_hashes) carries RequestSESInfo.
	MsgRequestSESHashes MessageType = 76
	// MsgRespondSESHashes (77, respond_ses_hashes) carries RespondSESInfo.
	MsgRespondSESHashes MessageType = 77
	// MsgPlotSyncStart (78, plot_sync_start) carries PlotSyncStart.
	MsgPlotSyncStart MessageType = 78
	// MsgPlotSyncLoaded (79, plot_sync_loaded) carries PlotSyncPlotList.
	MsgPlotSyncLoaded MessageType = 79
	// MsgPlotSyncRemoved (80, plot_sync_removed) carries PlotSyncPathList.
	MsgPlotSyncRemoved MessageType = 80
	// MsgPlotSyncInvalid (81, plot_sync_invalid) carries PlotSyncPathList.
	MsgPlotSyncInvalid MessageType = 81
	// MsgPlotSyncKeysMissing (82, plot_sync_keys_missing) carries PlotSyncPathList.
	MsgPlotSyncKeysMissing MessageType = 82
	// MsgPlotSyncDuplicates (83, plot_sync_duplicates) carries PlotSyncPathList.
	MsgPlotSyncDuplicates MessageType = 83
	// MsgPlotSyncDone (84, plot_sync_done) carries PlotSyncDone.
	MsgPlotSyncDone MessageType = 84
	// MsgPlotSyncResponse (85, plot_sync_response) carries PlotSyncResponse.
	MsgPlotSyncResponse MessageType = 85
	// MsgRequestBlockHeaders (86, request_block_headers) carries RequestBlockHeaders.
	MsgRequestBlockHeaders MessageType = 86
	// MsgRejectBlockHeaders (87, reject_block_headers) carries RejectBlockHeaders.
	MsgRejectBlockHeaders MessageType = 87
	// MsgRespondBlockHeaders (88, respond_block_headers) carries RespondBlockHeaders.
	MsgRespondBlockHeaders MessageType = 88
	// MsgRequestFeeEstimates (89, request_fee_estimates) carries RequestFeeEstimates.
	MsgRequestFeeEstimates MessageType = 89
	// MsgRespondFeeEstimates (90, respond_fee_estimates) carries RespondFeeEstimates.
	MsgRespondFeeEstimates MessageType = 90
	// MsgNoneResponse (91, none_response) has empty data. The reference never sends it
	// (the code is commented out) and accepts it from no node type.
	MsgNoneResponse MessageType = 91
	// MsgNewUnfinishedBlock2 (92, new_unfinished_block2) carries NewUnfinishedBlock2.
	MsgNewUnfinishedBlock2 MessageType = 92
	// MsgRequestUnfinishedBlock2 (93, request_unfinished_block2) carries RequestUnfinishedBlock2.
	MsgRequestUnfinishedBlock2 MessageType = 93
	// MsgRequestRemovePuzzleSubscriptions (94, request_remove_puzzle_subscriptions) carries RequestRemovePuzzleSubscriptions.
	MsgRequestRemovePuzzleSubscriptions MessageType = 94
	// MsgRespondRemovePuzzleSubscriptions (95, respond_remove_puzzle_subscriptions) carries RespondRemovePuzzleSubscriptions.
	MsgRespondRemovePuzzleSubscriptions MessageType = 95
	// MsgRequestRemoveCoinSubscriptions (96, request_remove_coin_subscriptions) carries RequestRemoveCoinSubscriptions.
	MsgRequestRemoveCoinSubscriptions MessageType = 96
	// MsgRespondRemoveCoinSubscriptions (97, respond_remove_coin_subscriptions) carries RespondRemoveCoinSubscriptions.
	MsgRespondRemoveCoinSubscriptions MessageType = 97
	// MsgRequestPuzzleState (98, request_puzzle_state) carries RequestPuzzleState.
	MsgRequestPuzzleState MessageType = 98
	// MsgRespondPuzzleState (99, respond_puzzle_state) carries RespondPuzzleState.
	MsgRespondPuzzleState MessageType = 99
	// MsgRejectPuzzleState (100, reject_puzzle_state) carries RejectPuzzleState.
	MsgRejectPuzzleState MessageType = 100
	// MsgRequestCoinState (101, request_coin_state) carries RequestCoinState.
	MsgRequestCoinState MessageType = 101
	// MsgRespondCoinState (102, respond_coin_state) carries RespondCoinState.
	MsgRespondCoinState MessageType = 102
	// MsgRejectCoinState (103, reject_coin_state) carries RejectCoinState.
	MsgRejectCoinState MessageType = 103
	// MsgMempoolItemsAdded (104, mempool_items_added) carries MempoolItemsAdded.
	MsgMempoolItemsAdded MessageType = 104
	// MsgMempoolItemsRemoved (105, mempool_items_removed) carries MempoolItemsRemoved.
	MsgMempoolItemsRemoved MessageType = 105
	// MsgRequestCostInfo (106, request_cost_info) carries RequestCostInfo.
	MsgRequestCostInfo MessageType = 106
	// MsgRespondCostInfo (107, respond_cost_info) carries RespondCostInfo.
	MsgRespondCostInfo MessageType = 107
	// MsgSolutionResponse (108, solution_response) carries SolverResponse.
	MsgSolutionResponse MessageType = 108
	// MsgSolve (109, solve) carries SolverInfo.
	MsgSolve MessageType = 109
	// MsgPartialProofs (110, partial_proofs) carries PartialProofsData.
	MsgPartialProofs MessageType = 110
	// MsgConfigureWindowSizes (111, configure_window_sizes) carries ConfigureWindowSizes.
	MsgConfigureWindowSizes MessageType = 111
	// MsgPlotSyncLoaded2 (112, plot_sync_loaded2) carries PlotSyncPlotList2.
	MsgPlotSyncLoaded2 MessageType = 112
	// MsgRespondPlots2 (113, respond_plots2) carries RespondPlots2.
	MsgRespondPlots2 MessageType = 113
	// MsgError (255, error) carries Error.
	MsgError MessageType = 255
)

// messageTypeNames holds the reference snake_case name of every known
// type, indexed by id; "" marks an unassigned id.
var messageTypeNames = [256]string{
	MsgHandshake:                         "handshake",
	MsgHarvesterHandshake:                "harvester_handshake",
	MsgNewProofOfSpace:                   "new_proof_of_space",
	MsgRequestSignatures:                 "request_signatures",
	MsgRespondSignatures:                 "respond_signatures",
	MsgNewSignagePoint:                   "new_signage_point",
	MsgDeclareProofOfSpace:               "declare_proof_of_space",
	MsgRequestSignedValues:               "request_signed_values",
	MsgSignedValues:                      "signed_values",
	MsgFarmingInfo:                       "farming_info",
	MsgNewPeakTimelord:                   "new_peak_timelord",
	MsgNewUnfinishedBlockTimelord:        "new_unfinished_block_timelord",
	MsgNewInfusionPointVDF:               "new_infusion_point_vdf",
	MsgNewSignagePointVDF:                "new_signage_point_vdf",
	MsgNewEndOfSubSlotVDF:                "new_end_of_sub_slot_vdf",
	MsgRequestCompactProofOfTime:         "request_compact_proof_of_time",
	MsgRespondCompactProofOfTime:         "respond_compact_proof_of_time",
	MsgNewPeak:                           "new_peak",
	MsgNewTransaction:                    "new_transaction",
	MsgRequestTransaction:                "request_transaction",
	MsgRespondTransaction:                "respond_transaction",
	MsgRequestProofOfWeight:              "request_proof_of_weight",
	MsgRespondProofOfWeight:              "respond_proof_of_weight",
	MsgRequestBlock:                      "request_block",
	MsgRespondBlock:                      "respond_block",
	MsgRejectBlock:                       "reject_block",
	MsgRequestBlocks:                     "request_blocks",
	MsgRespondBlocks:                     "respond_blocks",
	MsgRejectBlocks:                      "reject_blocks",
	MsgNewUnfinishedBlock:                "new_unfinished_block",
	MsgRequestUnfinishedBlock:            "request_unfinished_block",
	MsgRespondUnfinishedBlock:            "respond_unfinished_block",
	MsgNewSignagePointOrEndOfSubSlot:     "new_signage_point_or_end_of_sub_slot",
	MsgRequestSignagePointOrEndOfSubSlot: "request_signage_point_or_end_of_sub_slot",
	MsgRespondSignagePoint:               "respond_signage_point",
	MsgRespondEndOfSubSlot:               "respond_end_of_sub_slot",
	MsgRequestMempoolTransactions:        "request_mempool_transactions",
	MsgRequestCompactVDF:                 "request_compact_vdf",
	MsgRespondCompactVDF:                 "respond_compact_vdf",
	MsgNewCompactVDF:                     "new_compact_vdf",
	MsgRequestPeers:                      "request_peers",
	MsgRespondPeers:                      "respond_peers",
	MsgRequestPuzzleSolution:             "request_puzzle_solution",
	MsgRespondPuzzleSolution:             "respond_puzzle_solution",
	MsgRejectPuzzleSolution:              "reject_puzzle_solution",
	MsgSendTransaction:                   "send_transaction",
	MsgTransactionAck:                    "transaction_ack",
	MsgNewPeakWallet:                     "new_peak_wallet",
	MsgRequestBlockHeader:                "request_block_header",
	MsgRespondBlockHeader:                "respond_block_header",
	MsgRejectHeaderRequest:               "reject_header_request",
	MsgRequestRemovals:                   "request_removals",
	MsgRespondRemovals:                   "respond_removals",
	MsgRejectRemovalsRequest:             "reject_removals_request",
	MsgRequestAdditions:                  "request_additions",
	MsgRespondAdditions:                  "respond_additions",
	MsgRejectAdditionsRequest:            "reject_additions_request",
	MsgRequestHeaderBlocks:               "request_header_blocks",
	MsgRejectHeaderBlocks:                "reject_header_blocks",
	MsgRespondHeaderBlocks:               "respond_header_blocks",
	MsgRequestPeersIntroducer:            "request_peers_introducer",
	MsgRespondPeersIntroducer:            "respond_peers_introducer",
	MsgFarmNewBlock:                      "farm_new_block",
	MsgNewSignagePointHarvester:          "new_signage_point_harvester",
	MsgRequestPlots:                      "request_plots",
	MsgRespondPlots:                      "respond_plots",
	MsgCoinStateUpdate:                   "coin_state_update",
	MsgRegisterForPhUpdates:              "register_for_ph_updates",
	MsgRespondToPhUpdates:                "respond_to_ph_updates",
	MsgRegisterForCoinUpdates:            "register_for_coin_updates",
	MsgRespondToCoinUpdates:              "respond_to_coin_updates",
	MsgRequestChildren:                   "request_children",
	MsgRespondChildren:                   "respond_children",
	MsgRequestSESHashes:                  "request_ses_hashes",
	MsgRespondSESHashes:                  "respond_ses_hashes",
	MsgPlotSyncStart:                     "plot_sync_start",
	MsgPlotSyncLoaded:                    "plot_sync_loaded",
	MsgPlotSyncRemoved:                   "plot_sync_removed",
	MsgPlotSyncInvalid:                   "plot_sync_invalid",
	MsgPlotSyncKeysMissing:               "plot_sync_keys_missing",
	MsgPlotSyncDuplicates:                "plot_sync_duplicates",
	MsgPlotSyncDone:                      "plot_sync_done",
	MsgPlotSyncResponse:                  "plot_sync_response",
	MsgRequestBlockHeaders:               "request_block_headers",
	MsgRejectBlockHeaders:                "reject_block_headers",
	MsgRespondBlockHeaders:               "respond_block_headers",
	MsgRequestFeeEstimates:               "request_fee_estimates",
	MsgRespondFeeEstimates:               "respond_fee_estimates",
	MsgNoneResponse:                      "none_response",
	MsgNewUnfinishedBlock2:               "new_unfinished_block2",
	MsgRequestUnfinishedBlock2:           "request_unfinished_block2",
	MsgRequestRemovePuzzleSubscriptions:  "request_remove_puzzle_subscriptions",
	MsgRespondRemovePuzzleSubscriptions:  "respond_remove_puzzle_subscriptions",
	MsgRequestRemoveCoinSubscriptions:    "request_remove_coin_subscriptions",
	MsgRespondRemoveCoinSubscriptions:    "respond_remove_coin_subscriptions",
	MsgRequestPuzzleState:                "request_puzzle_state",
	MsgRespondPuzzleState:                "respond_puzzle_state",
	MsgRejectPuzzleState:                 "reject_puzzle_state",
	MsgRequestCoinState:                  "request_coin_state",
	MsgRespondCoinState:                  "respond_coin_state",
	MsgRejectCoinState:                   "reject_coin_state",
	MsgMempoolItemsAdded:                 "mempool_items_added",
	MsgMempoolItemsRemoved:               "mempool_items_removed",
	MsgRequestCostInfo:                   "request_cost_info",
	MsgRespondCostInfo:                   "respond_cost_info",
	MsgSolutionResponse:                  "solution_response",
	MsgSolve:                             "solve",
	MsgPartialProofs:                     "partial_proofs",
	MsgConfigureWindowSizes:              "configure_window_sizes",
	MsgPlotSyncLoaded2:                   "plot_sync_loaded2",
	MsgRespondPlots2:                     "respond_plots2",
	MsgError:                             "error",
}

// messageTypesByName maps each reference name back to its id. It is built
// once from messageTypeNames so the two can never disagree.
var messageTypesByName = func() map[string]MessageType {
	m := make(map[string]MessageType, 128)
	for id, name := range messageTypeNames {
		if name != "" {
			m[name] = MessageType(id)
		}
	}
	return m
}()

// allMessageTypes lists the known types in increasing id order.
var allMessageTypes = func() []MessageType {
	var all []MessageType
	for id, name := range messageTypeNames {
		if name != "" {
			all = append(all, MessageType(id))
		}
	}
	return all
}()

// String returns the reference snake_case name ("request_peers"), or
// "unknown(N)" for an id that names no message.
func (t MessageType) String() string {
	if name := messageTypeNames[t]; name != "" {
		return name
	}
	return "unknown(" + strconv.Itoa(int(t)) + ")"
}

// Known reports whether t is one of the reference message types. A peer
// that sends an unknown type is disconnected and banned for 10 s, as for
// any malformed message.
func (t MessageType) Known() bool { return messageTypeNames[t] != "" }

// ParseMessageType returns the type whose reference name is name
// ("request_peers"). Matching is exact: names are lower case.
func ParseMessageType(name string) (MessageType, bool) {
	t, ok := messageTypesByName[name]
	return t, ok
}

// AllMessageTypes returns every known message type in increasing id order.
// The caller owns the returned slice.
func AllMessageTypes() []MessageType { return slices.Clone(allMessageTypes) }
