package protocol

import (
	"slices"
	"time"
)

// This file holds the reference's size and rate limits as data
// (chia/server/rate_limit_numbers.py, chia/server/rate_limits_v3.py,
// chia/protocols/protocol_timing.py; transport spec Appendix A). The
// limiter that applies them lives in package ratelimit.

const (
	kib = 1024
	mib = 1024 * 1024
)

// MaxMessageSize is the reference's max_message_size, its bound on a whole
// WebSocket message (the encoded Message, header included). Its aiohttp
// refuses a message of this size or more, closing with 1009 and banning
// the sender for 300 s; MaxMessageLen is the largest it accepts.
const MaxMessageSize = 50 * mib

// MaxMessageLen is the largest whole WebSocket message the reference
// accepts: one byte less than MaxMessageSize.
const MaxMessageLen = MaxMessageSize - 1

// MaxVersionStringBytes is the longest Handshake.software_version the
// reference accepts, in UTF-8 bytes.
const MaxVersionStringBytes = 128

// MaxConfigureRateLimitsEntries is the most settings a ConfigureWindowSizes
// may carry.
const MaxConfigureRateLimitsEntries = 256

// The aggregate ("non-tx") limit shared by every type whose RateLimit has
// Aggregate set: per 60 s bucket, at most this many messages and this many
// bytes of Message.data in total, scaled by the limit percentage.
const (
	AggregateMaxMessages  = 1000
	AggregateMaxTotalSize = 100 * mib
)

// RateLimitInterval is the length of one rate-limit bucket. Buckets are
// fixed (monotonic time divided by 60 s), not sliding.
const RateLimitInterval = 60 * time.Second

// Default limit percentages: counts and total sizes (never MaxSize) are
// scaled by these. The reference wallet uses WalletOutboundRateLimitPercent
// outbound instead of OutboundRateLimitPercent.
const (
	InboundRateLimitPercent        = 100
	OutboundRateLimitPercent       = 30
	WalletOutboundRateLimitPercent = 60
)

// Ban durations (the reference protocol_timing constants, which it says
// should not be user configurable).
const (
	// InvalidProtocolBan follows a bad handshake or a wrong reply type.
	InvalidProtocolBan = 10 * time.Second
	// APIExceptionBan follows any failure while handling a message.
	APIExceptionBan = 10 * time.Second
	// InternalProtocolErrorBan follows an unparsable message or an unknown
	// message type.
	InternalProtocolErrorBan = 10 * time.Second
	// ConsensusErrorBan follows a consensus error raised by a handler.
	ConsensusErrorBan = 600 * time.Second
	// RateLimiterBan follows a rate-limit or v3 window violation, an
	// oversized WebSocket message or an unsolicited block.
	RateLimiterBan = 300 * time.Second
)

// RateLimit is the v1/v2 limit of one message type (the reference
// RLSettings, or Unlimited when Unlimited is set). All sizes are of
// Message.data only.
type RateLimit struct {
	// Unlimited marks the reference Unlimited(max_size) kind, used for
	// responses that requests already bound: only MaxSize is checked, and
	// the message does not count toward the aggregate limit. Aggregate,
	// Frequency and MaxTotalSize are zero.
	Unlimited bool
	// Aggregate means the type also counts toward the aggregate limit
	// (AggregateMaxMessages, AggregateMaxTotalSize).
	Aggregate bool
	// Frequency is the most messages of the type per bucket.
	Frequency int
	// MaxSize is the largest len(data) of one message. It is never scaled.
	MaxSize int
	// MaxTotalSize is the most bytes of data of the type per bucket; 0
	// means Frequency × MaxSize (see TotalSize).
	MaxTotalSize int
}

// TotalSize returns the effective per-bucket byte limit: MaxTotalSize, or
// Frequency × MaxSize when that is 0. It is 0 for an Unlimited limit. The
// product can exceed 2^31 (5000 × 1 MiB), hence int64.
func (l RateLimit) TotalSize() int64 {
	if l.MaxTotalSize != 0 {
		return int64(l.MaxTotalSize)
	}
	return int64(l.Frequency) * int64(l.MaxSize)
}

// limit is an RLSettings(aggregate, frequency, max_size) row whose total is
// frequency × max_size.
func limit(aggregate bool, frequency, maxSize int) RateLimit {
	return RateLimit{Aggregate: aggregate, Frequency: frequency, MaxSize: maxSize}
}

// limitTotal is an RLSettings row with an explicit max_total_size.
func limitTotal(aggregate bool, frequency, maxSize, maxTotalSize int) RateLimit {
	return RateLimit{Aggregate: aggregate, Frequency: frequency, MaxSize: maxSize, MaxTotalSize: maxTotalSize}
}

// unlimited is an Unlimited(max_size) row.
func unlimited(maxSize int) RateLimit { return RateLimit{Unlimited: true, MaxSize: maxSize} }

const (
	agg   = true  // counts toward the aggregate limit
	noAgg = false // does not
)

// rateLimitsV1 is the reference base table (rate_limits[1]), indexed by
// message type. Every known type has an entry (MaxSize > 0).
var rateLimitsV1 = [256]RateLimit{
	MsgHandshake:                         limitTotal(agg, 5, 10*kib, 50*kib),
	MsgHarvesterHandshake:                limit(agg, 5, 1*mib),
	MsgNewProofOfSpace:                   limit(agg, 100, 2*kib),
	MsgRequestSignatures:                 limit(agg, 100, 2*kib),
	MsgRespondSignatures:                 limit(agg, 100, 2*kib),
	MsgNewSignagePoint:                   limit(agg, 200, 2*kib),
	MsgDeclareProofOfSpace:               limit(agg, 100, 10*kib),
	MsgRequestSignedValues:               limit(agg, 100, 10*kib),
	MsgSignedValues:                      limit(agg, 100, 1*kib),
	MsgFarmingInfo:                       limit(agg, 100, 1*kib),
	MsgNewPeakTimelord:                   limit(agg, 100, 20*kib),
	MsgNewUnfinishedBlockTimelord:        limit(agg, 100, 10*kib),
	MsgNewInfusionPointVDF:               limit(agg, 100, 100*kib),
	MsgNewSignagePointVDF:                limit(agg, 100, 100*kib),
	MsgNewEndOfSubSlotVDF:                limit(agg, 100, 100*kib),
	MsgRequestCompactProofOfTime:         limit(agg, 100, 10*kib),
	MsgRespondCompactProofOfTime:         limit(agg, 100, 100*kib),
	MsgNewPeak:                           limit(agg, 200, 512),
	MsgNewTransaction:                    limitTotal(noAgg, 5000, 100, 500000),
	MsgRequestTransaction:                limitTotal(noAgg, 5000, 100, 500000),
	MsgRespondTransaction:                limitTotal(noAgg, 5000, 1*mib, 20*mib),
	MsgRequestProofOfWeight:              limit(agg, 5, 100),
	MsgRespondProofOfWeight:              limitTotal(agg, 5, 50*mib, 100*mib),
	MsgRequestBlock:                      limit(agg, 200, 100),
	MsgRespondBlock:                      unlimited(2 * mib),
	MsgRejectBlock:                       unlimited(100),
	MsgRequestBlocks:                     limit(agg, 500, 100),
	MsgRespondBlocks:                     unlimited(50 * mib),
	MsgRejectBlocks:                      unlimited(100),
	MsgNewUnfinishedBlock:                limit(agg, 200, 100),
	MsgRequestUnfinishedBlock:            limit(agg, 200, 100),
	MsgRespondUnfinishedBlock:            limitTotal(agg, 200, 2*mib, 20*mib),
	MsgNewSignagePointOrEndOfSubSlot:     limit(agg, 200, 200),
	MsgRequestSignagePointOrEndOfSubSlot: limit(agg, 200, 200),
	MsgRespondSignagePoint:               limit(agg, 200, 50*kib),
	MsgRespondEndOfSubSlot:               limit(agg, 100, 50*kib),
	MsgRequestMempoolTransactions:        limit(agg, 5, 1*mib),
	MsgRequestCompactVDF:                 limit(agg, 200, 1*kib),
	MsgRespondCompactVDF:                 limit(agg, 200, 100*kib),
	MsgNewCompactVDF:                     limit(agg, 100, 1*kib),
	MsgRequestPeers:                      limit(agg, 10, 100),
	MsgRespondPeers:                      limit(agg, 10, 1*mib),
	MsgRequestPuzzleSolution:             limit(agg, 1000, 100),
	MsgRespondPuzzleSolution:             limit(agg, 1000, 1*mib),
	MsgRejectPuzzleSolution:              limit(agg, 1000, 100),
	MsgSendTransaction:                   limit(noAgg, 5000, 1*mib),
	MsgTransactionAck:                    limit(noAgg, 5000, 2*kib),
	MsgNewPeakWallet:                     limit(agg, 200, 300),
	MsgRequestBlockHeader:                limit(agg, 500, 100),
	MsgRespondBlockHeader:                limit(agg, 500, 500*kib),
	MsgRejectHeaderRequest:               limit(agg, 500, 100),
	MsgRequestRemovals:                   limitTotal(agg, 500, 50*kib, 10*mib),
	MsgRespondRemovals:                   limitTotal(agg, 500, 1*mib, 10*mib),
	MsgRejectRemovalsRequest:             limit(agg, 500, 100),
	MsgRequestAdditions:                  limitTotal(agg, 500, 1*mib, 10*mib),
	MsgRespondAdditions:                  limitTotal(agg, 500, 1*mib, 10*mib),
	MsgRejectAdditionsRequest:            limit(agg, 500, 100),
	MsgRequestHeaderBlocks:               limit(agg, 500, 100),
	MsgRejectHeaderBlocks:                limit(agg, 100, 100),
	MsgRespondHeaderBlocks:               limitTotal(agg, 500, 2*mib, 100*mib),
	MsgRequestPeersIntroducer:            limit(agg, 100, 100),
	MsgRespondPeersIntroducer:            limit(agg, 100, 1*mib),
	MsgFarmNewBlock:                      limit(agg, 200, 200),
	MsgNewSignagePointHarvester:          limit(agg, 100, 4886), // room for 100 pool difficulties
	MsgRequestPlots:                      limit(agg, 10, 10*mib),
	MsgRespondPlots:                      limit(agg, 10, 100*mib),
	MsgCoinStateUpdate:                   limit(agg, 1000, 100*mib),
	MsgRegisterForPhUpdates:              limit(agg, 1000, 100*mib),
	MsgRespondToPhUpdates:                limit(agg, 1000, 100*mib),
	MsgRegisterForCoinUpdates:            limit(agg, 1000, 100*mib),
	MsgRespondToCoinUpdates:              limit(agg, 1000, 100*mib),
	MsgRequestChildren:                   limit(agg, 2000, 1*mib),
	MsgRespondChildren:                   limit(agg, 2000, 1*mib),
	MsgRequestSESHashes:                  limit(agg, 2000, 1*mib),
	MsgRespondSESHashes:                  limit(agg, 2000, 1*mib),
	MsgPlotSyncStart:                     limit(agg, 1000, 100*mib),
	MsgPlotSyncLoaded:                    limit(agg, 1000, 100*mib),
	MsgPlotSyncRemoved:                   limit(agg, 1000, 100*mib),
	MsgPlotSyncInvalid:                   limit(agg, 1000, 100*mib),
	MsgPlotSyncKeysMissing:               limit(agg, 1000, 100*mib),
	MsgPlotSyncDuplicates:                limit(agg, 1000, 100*mib),
	MsgPlotSyncDone:                      limit(agg, 1000, 100*mib),
	MsgPlotSyncResponse:                  limit(agg, 3000, 100*mib),
	MsgRequestBlockHeaders:               limit(noAgg, 5000, 100),
	MsgRejectBlockHeaders:                limit(noAgg, 1000, 100),
	MsgRespondBlockHeaders:               limit(noAgg, 5000, 2*mib),
	MsgRequestFeeEstimates:               limit(agg, 10, 100),
	MsgRespondFeeEstimates:               limit(agg, 10, 100),
	MsgNoneResponse:                      limit(noAgg, 500, 100),
	MsgNewUnfinishedBlock2:               limit(agg, 200, 100),
	MsgRequestUnfinishedBlock2:           limit(agg, 200, 100),
	MsgRequestRemovePuzzleSubscriptions:  limit(agg, 1000, 100*mib),
	MsgRespondRemovePuzzleSubscriptions:  limit(agg, 1000, 100*mib),
	MsgRequestRemoveCoinSubscriptions:    limit(agg, 1000, 100*mib),
	MsgRespondRemoveCoinSubscriptions:    limit(agg, 1000, 100*mib),
	MsgRequestPuzzleState:                limit(agg, 1000, 100*mib),
	MsgRespondPuzzleState:                limit(agg, 1000, 100*mib),
	MsgRejectPuzzleState:                 limit(agg, 200, 100),
	MsgRequestCoinState:                  limit(agg, 1000, 100*mib),
	MsgRespondCoinState:                  limit(agg, 1000, 100*mib),
	MsgRejectCoinState:                   limit(agg, 200, 100),
	MsgMempoolItemsAdded:                 limit(agg, 1000, 100*mib),
	MsgMempoolItemsRemoved:               limit(agg, 1000, 100*mib),
	MsgRequestCostInfo:                   limit(agg, 1000, 100),
	MsgRespondCostInfo:                   limit(agg, 1000, 1*kib),
	MsgSolutionResponse:                  limit(noAgg, 120, 1*kib),
	MsgSolve:                             limit(noAgg, 120, 1*kib),
	MsgPartialProofs:                     limit(noAgg, 120, 3*kib),
	MsgConfigureWindowSizes:              limitTotal(agg, 5, 1*kib, 1*kib),
	MsgPlotSyncLoaded2:                   limit(agg, 1000, 100*mib),
	MsgRespondPlots2:                     limit(agg, 10, 100*mib),
	MsgError:                             limit(noAgg, 50000, 100),
}

// rateLimitsV2 is the reference v2 overlay (rate_limits[2]): these entries
// replace the v1 ones when both peers advertise RATE_LIMITS_V2.
var rateLimitsV2 = [256]RateLimit{
	MsgRequestBlockHeader:     limit(noAgg, 500, 100),
	MsgRespondBlockHeader:     limit(noAgg, 500, 500*kib),
	MsgRejectHeaderRequest:    limit(noAgg, 500, 100),
	MsgRequestRemovals:        limitTotal(noAgg, 5000, 50*kib, 10*mib),
	MsgRespondRemovals:        limitTotal(noAgg, 5000, 1*mib, 10*mib),
	MsgRejectRemovalsRequest:  limit(noAgg, 500, 100),
	MsgRequestAdditions:       limit(noAgg, 50000, 100*mib),
	MsgRespondAdditions:       limit(noAgg, 50000, 100*mib),
	MsgRejectAdditionsRequest: limit(noAgg, 500, 100),
	MsgRejectHeaderBlocks:     limit(noAgg, 1000, 100),
	MsgRespondHeaderBlocks:    limit(noAgg, 5000, 2*mib),
	MsgRequestSESHashes:       limit(noAgg, 2000, 1*mib),
	MsgRespondSESHashes:       limit(noAgg, 2000, 1*mib),
	MsgRequestChildren:        limit(noAgg, 2000, 1*mib),
	MsgRespondChildren:        limit(noAgg, 2000, 1*mib),
	MsgRequestPuzzleSolution:  limit(noAgg, 5000, 100),
	MsgRespondPuzzleSolution:  limit(noAgg, 5000, 1*mib),
	MsgRejectPuzzleSolution:   limit(noAgg, 5000, 100),
	// Still aggregate: it does not scale with transaction volume.
	MsgRequestHeaderBlocks: limit(agg, 5000, 100),
}

// RateLimitV1 returns the v1 (base table) limit of t. ok is false only for
// unknown types.
func RateLimitV1(t MessageType) (RateLimit, bool) {
	l := rateLimitsV1[t]
	return l, l.MaxSize > 0
}

// RateLimitV2Override returns t's entry in the v2 overlay alone. ok is
// false for the types v2 leaves at their v1 limit.
func RateLimitV2Override(t MessageType) (RateLimit, bool) {
	l := rateLimitsV2[t]
	return l, l.MaxSize > 0
}

// RateLimitV2 returns the limit of t when both peers advertise
// RATE_LIMITS_V2: the v2 override if there is one, else the v1 limit.
func RateLimitV2(t MessageType) (RateLimit, bool) {
	if l, ok := RateLimitV2Override(t); ok {
		return l, true
	}
	return RateLimitV1(t)
}

// RateLimitFor returns RateLimitV2(t) if v2 is set, else RateLimitV1(t).
func RateLimitFor(t MessageType, v2 bool) (RateLimit, bool) {
	if v2 {
		return RateLimitV2(t)
	}
	return RateLimitV1(t)
}

// MaxPayloadSize returns the largest len(Message.data) the v1 (or, if v2
// is set, the v2) limiter allows for one message of type t. It returns 0
// for an unknown type, so a size check rejects it.
//
// When both peers have RATE_LIMITS_V3, the reference takes the types of
// V3WindowTable out of the v1/v2 limiter altogether, size check included;
// only MaxMessageSize then bounds them.
func MaxPayloadSize(t MessageType, v2 bool) int {
	l, _ := RateLimitFor(t, v2)
	return l.MaxSize
}

// V3RequestWindow is the window the reference gives every request type in
// its v3 table: at most this many requests of the type in flight.
const V3RequestWindow = 2

// WindowSizeSetting is one entry of the local v3 window table: the most
// in-flight messages of Type, 0 meaning unlimited.
type WindowSizeSetting struct {
	Type   MessageType
	Window uint16
}

// v3Windows is the reference rate_limits_v3 table in its own order, which
// is also the order of the settings of the ConfigureWindowSizes a
// reference node sends. Requests get V3RequestWindow; their responses and
// rejections get 0 (the reference's None, unlimited), and a peer may not
// give those a non-zero window.
var v3Windows = []WindowSizeSetting{
	{MsgRequestBlocks, V3RequestWindow},
	{MsgRespondBlocks, 0},
	{MsgRejectBlocks, 0},
	{MsgRequestBlock, V3RequestWindow},
	{MsgRespondBlock, 0},
	{MsgRejectBlock, 0},
	{MsgRequestBlockHeader, V3RequestWindow},
	{MsgRespondBlockHeader, 0},
	{MsgRejectHeaderRequest, 0},
	{MsgRequestBlockHeaders, V3RequestWindow},
	{MsgRespondBlockHeaders, 0},
	{MsgRejectBlockHeaders, 0},
	{MsgRequestHeaderBlocks, V3RequestWindow},
	{MsgRespondHeaderBlocks, 0},
	{MsgRejectHeaderBlocks, 0},
	{MsgRegisterForPhUpdates, V3RequestWindow},
	{MsgRespondToPhUpdates, 0},
	{MsgRegisterForCoinUpdates, V3RequestWindow},
	{MsgRespondToCoinUpdates, 0},
	{MsgRequestPuzzleState, V3RequestWindow},
	{MsgRespondPuzzleState, 0},
	{MsgRejectPuzzleState, 0},
	{MsgRequestCoinState, V3RequestWindow},
	{MsgRespondCoinState, 0},
	{MsgRejectCoinState, 0},
	{MsgRequestAdditions, V3RequestWindow},
	{MsgRespondAdditions, 0},
	{MsgRejectAdditionsRequest, 0},
	{MsgRequestRemovals, V3RequestWindow},
	{MsgRespondRemovals, 0},
	{MsgRejectRemovalsRequest, 0},
	{MsgRequestProofOfWeight, V3RequestWindow},
	{MsgRespondProofOfWeight, 0},
	{MsgRequestPuzzleSolution, V3RequestWindow},
	{MsgRespondPuzzleSolution, 0},
	{MsgRejectPuzzleSolution, 0},
}

// v3WindowByType indexes v3Windows; present marks the types in the table.
var v3WindowByType = func() (idx [256]struct {
	present bool
	window  uint16
}) {
	for _, s := range v3Windows {
		idx[s.Type].present = true
		idx[s.Type].window = s.Window
	}
	return idx
}()

// WindowV3 returns t's window in the local v3 table: V3RequestWindow for a
// request, 0 (unlimited) for a response or rejection. ok is false for the
// types v3 does not cover; they stay on the v1/v2 limiter even when both
// peers have RATE_LIMITS_V3.
func WindowV3(t MessageType) (window uint16, ok bool) {
	e := v3WindowByType[t]
	return e.window, e.present
}

// V3WindowTable returns the local v3 window table (36 entries) in the
// reference order. The caller owns the returned slice.
func V3WindowTable() []WindowSizeSetting { return slices.Clone(v3Windows) }

// LocalConfigureWindowSizes returns the ConfigureWindowSizes a reference
// node sends right after a handshake in which both sides advertised
// RATE_LIMITS_V3: the whole V3WindowTable, in order.
func LocalConfigureWindowSizes() *ConfigureWindowSizes {
	settings := make([]WindowSize, len(v3Windows))
	for i, s := range v3Windows {
		settings[i] = WindowSize{MessageType: uint8(s.Type), WindowSize: s.Window}
	}
	return &ConfigureWindowSizes{Settings: settings}
}
