package protocol

import (
	"fmt"

	"github.com/chianet/chianet/streamable"
)

// NewPayload returns a pointer to a new zero value of the payload type that
// messages of type t carry (for example *PlotSyncPathList for types 80 to
// 83), ready for DecodeStreamable or DecodeJSONValue. ok is false for an
// unknown type.
func NewPayload(t MessageType) (v Value, ok bool) {
	switch t {
	case MsgHandshake:
		return new(Handshake), true
	case MsgHarvesterHandshake:
		return new(HarvesterHandshake), true
	case MsgNewProofOfSpace:
		return new(NewProofOfSpace), true
	case MsgRequestSignatures:
		return new(RequestSignatures), true
	case MsgRespondSignatures:
		return new(RespondSignatures), true
	case MsgNewSignagePoint:
		return new(NewSignagePoint), true
	case MsgDeclareProofOfSpace:
		return new(DeclareProofOfSpace), true
	case MsgRequestSignedValues:
		return new(RequestSignedValues), true
	case MsgSignedValues:
		return new(SignedValues), true
	case MsgFarmingInfo:
		return new(FarmingInfo), true
	case MsgNewPeakTimelord:
		return new(NewPeakTimelord), true
	case MsgNewUnfinishedBlockTimelord:
		return new(NewUnfinishedBlockTimelord), true
	case MsgNewInfusionPointVDF:
		return new(NewInfusionPointVDF), true
	case MsgNewSignagePointVDF:
		return new(NewSignagePointVDF), true
	case MsgNewEndOfSubSlotVDF:
		return new(NewEndOfSubSlotVDF), true
	case MsgRequestCompactProofOfTime:
		return new(RequestCompactProofOfTime), true
	case MsgRespondCompactProofOfTime:
		return new(RespondCompactProofOfTime), true
	case MsgNewPeak:
		return new(NewPeak), true
	case MsgNewTransaction:
		return new(NewTransaction), true
	case MsgRequestTransaction:
		return new(RequestTransaction), true
	case MsgRespondTransaction:
		return new(RespondTransaction), true
	case MsgRequestProofOfWeight:
		return new(RequestProofOfWeight), true
	case MsgRespondProofOfWeight:
		return new(RespondProofOfWeight), true
	case MsgRequestBlock:
		return new(RequestBlock), true
	case MsgRespondBlock:
		return new(RespondBlock), true
	case MsgRejectBlock:
		return new(RejectBlock), true
	case MsgRequestBlocks:
		return new(RequestBlocks), true
	case MsgRespondBlocks:
		return new(RespondBlocks), true
	case MsgRejectBlocks:
		return new(RejectBlocks), true
	case MsgNewUnfinishedBlock:
		return new(NewUnfinishedBlock), true
	case MsgRequestUnfinishedBlock:
		return new(RequestUnfinishedBlock), true
	case MsgRespondUnfinishedBlock:
		return new(RespondUnfinishedBlock), true
	case MsgNewSignagePointOrEndOfSubSlot:
		return new(NewSignagePointOrEndOfSubSlot), true
	case MsgRequestSignagePointOrEndOfSubSlot:
		return new(RequestSignagePointOrEndOfSubSlot), true
	case MsgRespondSignagePoint:
		return new(RespondSignagePoint), true
	case MsgRespondEndOfSubSlot:
		return new(RespondEndOfSubSlot), true
	case MsgRequestMempoolTransactions:
		return new(RequestMempoolTransactions), true
	case MsgRequestCompactVDF:
		return new(RequestCompactVDF), true
	case MsgRespondCompactVDF:
		return new(RespondCompactVDF), true
	case MsgNewCompactVDF:
		return new(NewCompactVDF), true
	case MsgRequestPeers:
		return new(RequestPeers), true
	case MsgRespondPeers:
		return new(RespondPeers), true
	case MsgRequestPuzzleSolution:
		return new(RequestPuzzleSolution), true
	case MsgRespondPuzzleSolution:
		return new(RespondPuzzleSolution), true
	case MsgRejectPuzzleSolution:
		return new(RejectPuzzleSolution), true
	case MsgSendTransaction:
		return new(SendTransaction), true
	case MsgTransactionAck:
		return new(TransactionAck), true
	case MsgNewPeakWallet:
		return new(NewPeakWallet), true
	case MsgRequestBlockHeader:
		return new(RequestBlockHeader), true
	case MsgRespondBlockHeader:
		return new(RespondBlockHeader), true
	case MsgRejectHeaderRequest:
		return new(RejectHeaderRequest), true
	case MsgRequestRemovals:
		return new(RequestRemovals), true
	case MsgRespondRemovals:
		return new(RespondRemovals), true
	case MsgRejectRemovalsRequest:
		return new(RejectRemovalsRequest), true
	case MsgRequestAdditions:
		return new(RequestAdditions), true
	case MsgRespondAdditions:
		return new(RespondAdditions), true
	case MsgRejectAdditionsRequest:
		return new(RejectAdditionsRequest), true
	case MsgRequestHeaderBlocks:
		return new(RequestHeaderBlocks), true
	case MsgRejectHeaderBlocks:
		return new(RejectHeaderBlocks), true
	case MsgRespondHeaderBlocks:
		return new(RespondHeaderBlocks), true
	case MsgRequestPeersIntroducer:
		return new(RequestPeersIntroducer), true
	case MsgRespondPeersIntroducer:
		return new(RespondPeersIntroducer), true
	case MsgFarmNewBlock:
		return new(FarmNewBlockProtocol), true
	case MsgNewSignagePointHarvester:
		return new(NewSignagePointHarvester2), true
	case MsgRequestPlots:
		return new(RequestPlots), true
	case MsgRespondPlots:
		return new(RespondPlots), true
	case MsgCoinStateUpdate:
		return new(CoinStateUpdate), true
	case MsgRegisterForPhUpdates:
		return new(RegisterForPhUpdates), true
	case MsgRespondToPhUpdates:
		return new(RespondToPhUpdates), true
	case MsgRegisterForCoinUpdates:
		return new(RegisterForCoinUpdates), true
	case MsgRespondToCoinUpdates:
		return new(RespondToCoinUpdates), true
	case MsgRequestChildren:
		return new(RequestChildren), true
	case MsgRespondChildren:
		return new(RespondChildren), true
	case MsgRequestSESHashes:
		return new(RequestSESInfo), true
	case MsgRespondSESHashes:
		return new(RespondSESInfo), true
	case MsgPlotSyncStart:
		return new(PlotSyncStart), true
	case MsgPlotSyncLoaded:
		return new(PlotSyncPlotList), true
	case MsgPlotSyncRemoved, MsgPlotSyncInvalid, MsgPlotSyncKeysMissing, MsgPlotSyncDuplicates:
		return new(PlotSyncPathList), true
	case MsgPlotSyncDone:
		return new(PlotSyncDone), true
	case MsgPlotSyncResponse:
		return new(PlotSyncResponse), true
	case MsgRequestBlockHeaders:
		return new(RequestBlockHeaders), true
	case MsgRejectBlockHeaders:
		return new(RejectBlockHeaders), true
	case MsgRespondBlockHeaders:
		return new(RespondBlockHeaders), true
	case MsgRequestFeeEstimates:
		return new(RequestFeeEstimates), true
	case MsgRespondFeeEstimates:
		return new(RespondFeeEstimates), true
	case MsgNoneResponse:
		return new(NoneResponse), true
	case MsgNewUnfinishedBlock2:
		return new(NewUnfinishedBlock2), true
	case MsgRequestUnfinishedBlock2:
		return new(RequestUnfinishedBlock2), true
	case MsgRequestRemovePuzzleSubscriptions:
		return new(RequestRemovePuzzleSubscriptions), true
	case MsgRespondRemovePuzzleSubscriptions:
		return new(RespondRemovePuzzleSubscriptions), true
	case MsgRequestRemoveCoinSubscriptions:
		return new(RequestRemoveCoinSubscriptions), true
	case MsgRespondRemoveCoinSubscriptions:
		return new(RespondRemoveCoinSubscriptions), true
	case MsgRequestPuzzleState:
		return new(RequestPuzzleState), true
	case MsgRespondPuzzleState:
		return new(RespondPuzzleState), true
	case MsgRejectPuzzleState:
		return new(RejectPuzzleState), true
	case MsgRequestCoinState:
		return new(RequestCoinState), true
	case MsgRespondCoinState:
		return new(RespondCoinState), true
	case MsgRejectCoinState:
		return new(RejectCoinState), true
	case MsgMempoolItemsAdded:
		return new(MempoolItemsAdded), true
	case MsgMempoolItemsRemoved:
		return new(MempoolItemsRemoved), true
	case MsgRequestCostInfo:
		return new(RequestCostInfo), true
	case MsgRespondCostInfo:
		return new(RespondCostInfo), true
	case MsgSolutionResponse:
		return new(SolverResponse), true
	case MsgSolve:
		return new(SolverInfo), true
	case MsgPartialProofs:
		return new(PartialProofsData), true
	case MsgConfigureWindowSizes:
		return new(ConfigureWindowSizes), true
	case MsgPlotSyncLoaded2:
		return new(PlotSyncPlotList2), true
	case MsgRespondPlots2:
		return new(RespondPlots2), true
	case MsgError:
		return new(Error), true
	}
	return nil, false
}

// payloadTypeNames holds the payload type name of every known message
// type, indexed by id. It must agree with NewPayload; a test checks that.
var payloadTypeNames = [256]string{
	MsgHandshake:                         "Handshake",
	MsgHarvesterHandshake:                "HarvesterHandshake",
	MsgNewProofOfSpace:                   "NewProofOfSpace",
	MsgRequestSignatures:                 "RequestSignatures",
	MsgRespondSignatures:                 "RespondSignatures",
	MsgNewSignagePoint:                   "NewSignagePoint",
	MsgDeclareProofOfSpace:               "DeclareProofOfSpace",
	MsgRequestSignedValues:               "RequestSignedValues",
	MsgSignedValues:                      "SignedValues",
	MsgFarmingInfo:                       "FarmingInfo",
	MsgNewPeakTimelord:                   "NewPeakTimelord",
	MsgNewUnfinishedBlockTimelord:        "NewUnfinishedBlockTimelord",
	MsgNewInfusionPointVDF:               "NewInfusionPointVDF",
	MsgNewSignagePointVDF:                "NewSignagePointVDF",
	MsgNewEndOfSubSlotVDF:                "NewEndOfSubSlotVDF",
	MsgRequestCompactProofOfTime:         "RequestCompactProofOfTime",
	MsgRespondCompactProofOfTime:         "RespondCompactProofOfTime",
	MsgNewPeak:                           "NewPeak",
	MsgNewTransaction:                    "NewTransaction",
	MsgRequestTransaction:                "RequestTransaction",
	MsgRespondTransaction:                "RespondTransaction",
	MsgRequestProofOfWeight:              "RequestProofOfWeight",
	MsgRespondProofOfWeight:              "RespondProofOfWeight",
	MsgRequestBlock:                      "RequestBlock",
	MsgRespondBlock:                      "RespondBlock",
	MsgRejectBlock:                       "RejectBlock",
	MsgRequestBlocks:                     "RequestBlocks",
	MsgRespondBlocks:                     "RespondBlocks",
	MsgRejectBlocks:                      "RejectBlocks",
	MsgNewUnfinishedBlock:                "NewUnfinishedBlock",
	MsgRequestUnfinishedBlock:            "RequestUnfinishedBlock",
	MsgRespondUnfinishedBlock:            "RespondUnfinishedBlock",
	MsgNewSignagePointOrEndOfSubSlot:     "NewSignagePointOrEndOfSubSlot",
	MsgRequestSignagePointOrEndOfSubSlot: "RequestSignagePointOrEndOfSubSlot",
	MsgRespondSignagePoint:               "RespondSignagePoint",
	MsgRespondEndOfSubSlot:               "RespondEndOfSubSlot",
	MsgRequestMempoolTransactions:        "RequestMempoolTransactions",
	MsgRequestCompactVDF:                 "RequestCompactVDF",
	MsgRespondCompactVDF:                 "RespondCompactVDF",
	MsgNewCompactVDF:                     "NewCompactVDF",
	MsgRequestPeers:                      "RequestPeers",
	MsgRespondPeers:                      "RespondPeers",
	MsgRequestPuzzleSolution:             "RequestPuzzleSolution",
	MsgRespondPuzzleSolution:             "RespondPuzzleSolution",
	MsgRejectPuzzleSolution:              "RejectPuzzleSolution",
	MsgSendTransaction:                   "SendTransaction",
	MsgTransactionAck:                    "TransactionAck",
	MsgNewPeakWallet:                     "NewPeakWallet",
	MsgRequestBlockHeader:                "RequestBlockHeader",
	MsgRespondBlockHeader:                "RespondBlockHeader",
	MsgRejectHeaderRequest:               "RejectHeaderRequest",
	MsgRequestRemovals:                   "RequestRemovals",
	MsgRespondRemovals:                   "RespondRemovals",
	MsgRejectRemovalsRequest:             "RejectRemovalsRequest",
	MsgRequestAdditions:                  "RequestAdditions",
	MsgRespondAdditions:                  "RespondAdditions",
	MsgRejectAdditionsRequest:            "RejectAdditionsRequest",
	MsgRequestHeaderBlocks:               "RequestHeaderBlocks",
	MsgRejectHeaderBlocks:                "RejectHeaderBlocks",
	MsgRespondHeaderBlocks:               "RespondHeaderBlocks",
	MsgRequestPeersIntroducer:            "RequestPeersIntroducer",
	MsgRespondPeersIntroducer:            "RespondPeersIntroducer",
	MsgFarmNewBlock:                      "FarmNewBlockProtocol",
	MsgNewSignagePointHarvester:          "NewSignagePointHarvester2",
	MsgRequestPlots:                      "RequestPlots",
	MsgRespondPlots:                      "RespondPlots",
	MsgCoinStateUpdate:                   "CoinStateUpdate",
	MsgRegisterForPhUpdates:              "RegisterForPhUpdates",
	MsgRespondToPhUpdates:                "RespondToPhUpdates",
	MsgRegisterForCoinUpdates:            "RegisterForCoinUpdates",
	MsgRespondToCoinUpdates:              "RespondToCoinUpdates",
	MsgRequestChildren:                   "RequestChildren",
	MsgRespondChildren:                   "RespondChildren",
	MsgRequestSESHashes:                  "RequestSESInfo",
	MsgRespondSESHashes:                  "RespondSESInfo",
	MsgPlotSyncStart:                     "PlotSyncStart",
	MsgPlotSyncLoaded:                    "PlotSyncPlotList",
	MsgPlotSyncRemoved:                   "PlotSyncPathList",
	MsgPlotSyncInvalid:                   "PlotSyncPathList",
	MsgPlotSyncKeysMissing:               "PlotSyncPathList",
	MsgPlotSyncDuplicates:                "PlotSyncPathList",
	MsgPlotSyncDone:                      "PlotSyncDone",
	MsgPlotSyncResponse:                  "PlotSyncResponse",
	MsgRequestBlockHeaders:               "RequestBlockHeaders",
	MsgRejectBlockHeaders:                "RejectBlockHeaders",
	MsgRespondBlockHeaders:               "RespondBlockHeaders",
	MsgRequestFeeEstimates:               "RequestFeeEstimates",
	MsgRespondFeeEstimates:               "RespondFeeEstimates",
	MsgNoneResponse:                      "NoneResponse",
	MsgNewUnfinishedBlock2:               "NewUnfinishedBlock2",
	MsgRequestUnfinishedBlock2:           "RequestUnfinishedBlock2",
	MsgRequestRemovePuzzleSubscriptions:  "RequestRemovePuzzleSubscriptions",
	MsgRespondRemovePuzzleSubscriptions:  "RespondRemovePuzzleSubscriptions",
	MsgRequestRemoveCoinSubscriptions:    "RequestRemoveCoinSubscriptions",
	MsgRespondRemoveCoinSubscriptions:    "RespondRemoveCoinSubscriptions",
	MsgRequestPuzzleState:                "RequestPuzzleState",
	MsgRespondPuzzleState:                "RespondPuzzleState",
	MsgRejectPuzzleState:                 "RejectPuzzleState",
	MsgRequestCoinState:                  "RequestCoinState",
	MsgRespondCoinState:                  "RespondCoinState",
	MsgRejectCoinState:                   "RejectCoinState",
	MsgMempoolItemsAdded:                 "MempoolItemsAdded",
	MsgMempoolItemsRemoved:               "MempoolItemsRemoved",
	MsgRequestCostInfo:                   "RequestCostInfo",
	MsgRespondCostInfo:                   "RespondCostInfo",
	MsgSolutionResponse:                  "SolverResponse",
	MsgSolve:                             "SolverInfo",
	MsgPartialProofs:                     "PartialProofsData",
	MsgConfigureWindowSizes:              "ConfigureWindowSizes",
	MsgPlotSyncLoaded2:                   "PlotSyncPlotList2",
	MsgRespondPlots2:                     "RespondPlots2",
	MsgError:                             "Error"}

// PayloadTypeName returns the name of the payload type of message type t
// (the reference class name, "RequestSESInfo" for request_ses_hashes), or
// "" for an unknown type.
func PayloadTypeName(t MessageType) string { return payloadTypeNames[t] }

// DecodePayload decodes data as the payload of a message of type t. The
// value must use every byte of data; byte fields are copies, so the value
// does not alias data.
func DecodePayload(t MessageType, data []byte) (Value, error) {
	v, ok := NewPayload(t)
	if !ok {
		return nil, &streamable.Error{Err: fmt.Errorf("%w: no payload type for message type %v", streamable.ErrInvalidValue, t)}
	}
	if err := streamable.Unmarshal(data, v); err != nil {
		return nil, err
	}
	return v, nil
}

// NoneResponse is the payload of none_response (91): no fields, so its
// encoding is empty and its JSON is {}. The reference has no class for it
// (the message is sent with empty data), so it is declared here, outside
// the generated types, with its methods written by hand.
type NoneResponse struct{}

// EncodeStreamable appends nothing: a NoneResponse has no fields.
func (*NoneResponse) EncodeStreamable(w *streamable.Writer) {}

// DecodeStreamable reads nothing.
func (*NoneResponse) DecodeStreamable(r *streamable.Reader) error { return nil }

// AppendJSON appends {}.
func (*NoneResponse) AppendJSON(b []byte) []byte { return append(b, '{', '}') }

// DecodeJSONValue accepts any JSON object, as the generated decoders of
// field-less types do.
func (*NoneResponse) DecodeJSONValue(v any) error {
	_, err := streamable.JSONObject(v)
	return err
}

// MarshalJSON returns {}.
func (x *NoneResponse) MarshalJSON() ([]byte, error) { return x.AppendJSON(nil), nil }

// UnmarshalJSON accepts any JSON object.
func (x *NoneResponse) UnmarshalJSON(data []byte) error { return streamable.UnmarshalJSON(data, x) }

// Hash returns the SHA-256 of the empty encoding; it cannot fail.
func (x *NoneResponse) Hash() (Bytes32, error) {
	h, err := streamable.Hash(x)
	if err != nil {
		return Bytes32{}, err
	}
	return Bytes32(h), nil
}

// TypeName returns "NoneResponse".
func (*NoneResponse) TypeName() string { return "NoneResponse" }

// NoneResponse must satisfy Value like every generated payload type.
var _ Value = (*NoneResponse)(nil)
