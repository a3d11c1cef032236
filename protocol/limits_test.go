package protocol

import (
	"testing"
	"time"
)

const (
	testKiB = 1024
	testMiB = 1024 * 1024
)

func TestRateLimitV1Rows(t *testing.T) {
	// Rows of transport spec Appendix A, v1 column, with the numbers
	// spelled out.
	cases := []struct {
		t     MessageType
		want  RateLimit
		total int64
	}{
		{MsgHandshake, RateLimit{Aggregate: true, Frequency: 5, MaxSize: 10 * testKiB, MaxTotalSize: 50 * testKiB}, 51200},
		{MsgHarvesterHandshake, RateLimit{Aggregate: true, Frequency: 5, MaxSize: testMiB}, 5 * testMiB},
		{MsgNewPeak, RateLimit{Aggregate: true, Frequency: 200, MaxSize: 512}, 102400},
		{MsgNewTransaction, RateLimit{Frequency: 5000, MaxSize: 100, MaxTotalSize: 500000}, 500000},
		{MsgRespondTransaction, RateLimit{Frequency: 5000, MaxSize: testMiB, MaxTotalSize: 20 * testMiB}, 20 * testMiB},
		{MsgRequestProofOfWeight, RateLimit{Aggregate: true, Frequency: 5, MaxSize: 100}, 500},
		{MsgRespondProofOfWeight, RateLimit{Aggregate: true, Frequency: 5, MaxSize: 50 * testMiB, MaxTotalSize: 100 * testMiB}, 100 * testMiB},
		{MsgRespondBlock, RateLimit{Unlimited: true, MaxSize: 2 * testMiB}, 0},
		{MsgRejectBlock, RateLimit{Unlimited: true, MaxSize: 100}, 0},
		{MsgRespondBlocks, RateLimit{Unlimited: true, MaxSize: 50 * testMiB}, 0},
		{MsgRejectBlocks, RateLimit{Unlimited: true, MaxSize: 100}, 0},
		{MsgRespondUnfinishedBlock, RateLimit{Aggregate: true, Frequency: 200, MaxSize: 2 * testMiB, MaxTotalSize: 20 * testMiB}, 20 * testMiB},
		{MsgRespondEndOfSubSlot, RateLimit{Aggregate: true, Frequency: 100, MaxSize: 50 * testKiB}, 5000 * testKiB},
		{MsgRequestPeers, RateLimit{Aggregate: true, Frequency: 10, MaxSize: 100}, 1000},
		{MsgRespondPeers, RateLimit{Aggregate: true, Frequency: 10, MaxSize: testMiB}, 10 * testMiB},
		{MsgSendTransaction, RateLimit{Frequency: 5000, MaxSize: testMiB}, 5000 * testMiB},
		{MsgTransactionAck, RateLimit{Frequency: 5000, MaxSize: 2 * testKiB}, 10000 * testKiB},
		{MsgRequestRemovals, RateLimit{Aggregate: true, Frequency: 500, MaxSize: 50 * testKiB, MaxTotalSize: 10 * testMiB}, 10 * testMiB},
		{MsgRespondHeaderBlocks, RateLimit{Aggregate: true, Frequency: 500, MaxSize: 2 * testMiB, MaxTotalSize: 100 * testMiB}, 100 * testMiB},
		{MsgRejectHeaderBlocks, RateLimit{Aggregate: true, Frequency: 100, MaxSize: 100}, 10000},
		{MsgNewSignagePointHarvester, RateLimit{Aggregate: true, Frequency: 100, MaxSize: 4886}, 488600},
		{MsgCoinStateUpdate, RateLimit{Aggregate: true, Frequency: 1000, MaxSize: 100 * testMiB}, 100000 * testMiB},
		{MsgPlotSyncResponse, RateLimit{Aggregate: true, Frequency: 3000, MaxSize: 100 * testMiB}, 300000 * testMiB},
		{MsgRequestBlockHeaders, RateLimit{Frequency: 5000, MaxSize: 100}, 500000},
		{MsgRejectBlockHeaders, RateLimit{Frequency: 1000, MaxSize: 100}, 100000},
		{MsgRespondBlockHeaders, RateLimit{Frequency: 5000, MaxSize: 2 * testMiB}, 10000 * testMiB},
		{MsgNoneResponse, RateLimit{Frequency: 500, MaxSize: 100}, 50000},
		{MsgRejectPuzzleState, RateLimit{Aggregate: true, Frequency: 200, MaxSize: 100}, 20000},
		{MsgRespondCostInfo, RateLimit{Aggregate: true, Frequency: 1000, MaxSize: testKiB}, 1000 * testKiB},
		{MsgPartialProofs, RateLimit{Frequency: 120, MaxSize: 3 * testKiB}, 360 * testKiB},
		{MsgConfigureWindowSizes, RateLimit{Aggregate: true, Frequency: 5, MaxSize: testKiB, MaxTotalSize: testKiB}, testKiB},
		{MsgRespondPlots2, RateLimit{Aggregate: true, Frequency: 10, MaxSize: 100 * testMiB}, 1000 * testMiB},
		{MsgError, RateLimit{Frequency: 50000, MaxSize: 100}, 5000000},
	}
	for _, c := range cases {
		got, ok := RateLimitV1(c.t)
		if !ok || got != c.want {
			t.Errorf("RateLimitV1(%v) = %+v, %v; want %+v", c.t, got, ok, c.want)
		}
		if tot := got.TotalSize(); tot != c.total {
			t.Errorf("RateLimitV1(%v).TotalSize() = %d, want %d", c.t, tot, c.total)
		}
	}
}

func TestRateLimitV1CoversExactlyKnownTypes(t *testing.T) {
	unlimitedTypes := map[MessageType]bool{MsgRespondBlock: true, MsgRejectBlock: true, MsgRespondBlocks: true, MsgRejectBlocks: true}
	for id := 0; id < 256; id++ {
		mt := MessageType(id)
		l, ok := RateLimitV1(mt)
		if ok != mt.Known() {
			t.Errorf("RateLimitV1(%v) ok = %v, want %v", mt, ok, mt.Known())
		}
		if !ok {
			if MaxPayloadSize(mt, false) != 0 || MaxPayloadSize(mt, true) != 0 {
				t.Errorf("MaxPayloadSize(%v) is not 0 for an unknown type", mt)
			}
			continue
		}
		if l.Unlimited != unlimitedTypes[mt] {
			t.Errorf("RateLimitV1(%v).Unlimited = %v", mt, l.Unlimited)
		}
		if l.Unlimited && (l.Aggregate || l.Frequency != 0 || l.MaxTotalSize != 0) {
			t.Errorf("Unlimited limit of %v has rate fields: %+v", mt, l)
		}
		if !l.Unlimited && l.Frequency <= 0 {
			t.Errorf("RateLimitV1(%v) has no frequency: %+v", mt, l)
		}
	}
}

func TestRateLimitV2Overrides(t *testing.T) {
	// The whole v2 column of Appendix A.
	want := map[MessageType]RateLimit{
		MsgRequestPuzzleSolution:  {Frequency: 5000, MaxSize: 100},
		MsgRespondPuzzleSolution:  {Frequency: 5000, MaxSize: testMiB},
		MsgRejectPuzzleSolution:   {Frequency: 5000, MaxSize: 100},
		MsgRequestBlockHeader:     {Frequency: 500, MaxSize: 100},
		MsgRespondBlockHeader:     {Frequency: 500, MaxSize: 500 * testKiB},
		MsgRejectHeaderRequest:    {Frequency: 500, MaxSize: 100},
		MsgRequestRemovals:        {Frequency: 5000, MaxSize: 50 * testKiB, MaxTotalSize: 10 * testMiB},
		MsgRespondRemovals:        {Frequency: 5000, MaxSize: testMiB, MaxTotalSize: 10 * testMiB},
		MsgRejectRemovalsRequest:  {Frequency: 500, MaxSize: 100},
		MsgRequestAdditions:       {Frequency: 50000, MaxSize: 100 * testMiB},
		MsgRespondAdditions:       {Frequency: 50000, MaxSize: 100 * testMiB},
		MsgRejectAdditionsRequest: {Frequency: 500, MaxSize: 100},
		MsgRequestHeaderBlocks:    {Aggregate: true, Frequency: 5000, MaxSize: 100},
		MsgRejectHeaderBlocks:     {Frequency: 1000, MaxSize: 100},
		MsgRespondHeaderBlocks:    {Frequency: 5000, MaxSize: 2 * testMiB},
		MsgRequestChildren:        {Frequency: 2000, MaxSize: testMiB},
		MsgRespondChildren:        {Frequency: 2000, MaxSize: testMiB},
		MsgRequestSESHashes:       {Frequency: 2000, MaxSize: testMiB},
		MsgRespondSESHashes:       {Frequency: 2000, MaxSize: testMiB},
	}
	if len(want) != 19 {
		t.Fatalf("expected table has %d rows", len(want))
	}
	for id := 0; id < 256; id++ {
		mt := MessageType(id)
		w, overridden := want[mt]
		got, ok := RateLimitV2Override(mt)
		if ok != overridden || (ok && got != w) {
			t.Errorf("RateLimitV2Override(%v) = %+v, %v; want %+v, %v", mt, got, ok, w, overridden)
		}
		v1, ok1 := RateLimitV1(mt)
		v2, ok2 := RateLimitV2(mt)
		if ok2 != ok1 {
			t.Errorf("RateLimitV2(%v) ok = %v, RateLimitV1 ok = %v", mt, ok2, ok1)
		}
		switch {
		case overridden && v2 != w:
			t.Errorf("RateLimitV2(%v) = %+v, want the override %+v", mt, v2, w)
		case !overridden && v2 != v1:
			t.Errorf("RateLimitV2(%v) = %+v, want the v1 limit %+v", mt, v2, v1)
		}
		if l, _ := RateLimitFor(mt, true); l != v2 {
			t.Errorf("RateLimitFor(%v, true) differs from RateLimitV2", mt)
		}
		if l, _ := RateLimitFor(mt, false); l != v1 {
			t.Errorf("RateLimitFor(%v, false) differs from RateLimitV1", mt)
		}
	}
	// 5000 × 100 MiB-sized totals need more than 32 bits.
	if l, _ := RateLimitV2(MsgRespondAdditions); l.TotalSize() != 5000000*testMiB {
		t.Errorf("v2 respond_additions TotalSize = %d", l.TotalSize())
	}
}

func TestMaxPayloadSize(t *testing.T) {
	cases := []struct {
		t      MessageType
		v1, v2 int
	}{
		{MsgHandshake, 10 * testKiB, 10 * testKiB},
		{MsgRespondBlock, 2 * testMiB, 2 * testMiB},
		{MsgRespondBlocks, 50 * testMiB, 50 * testMiB},
		{MsgRequestAdditions, testMiB, 100 * testMiB},
		{MsgRespondAdditions, testMiB, 100 * testMiB},
		{MsgRequestPeers, 100, 100},
		{MsgNewPeak, 512, 512},
		{MsgError, 100, 100},
	}
	for _, c := range cases {
		if got := MaxPayloadSize(c.t, false); got != c.v1 {
			t.Errorf("MaxPayloadSize(%v, v1) = %d, want %d", c.t, got, c.v1)
		}
		if got := MaxPayloadSize(c.t, true); got != c.v2 {
			t.Errorf("MaxPayloadSize(%v, v2) = %d, want %d", c.t, got, c.v2)
		}
	}
}

// referenceV3Windows is rate_limits_v3 in the reference order (transport
// spec §3.6 and Appendix A's v3 column).
var referenceV3Windows = []struct {
	name   string
	window uint16
}{
	{"request_blocks", 2}, {"respond_blocks", 0}, {"reject_blocks", 0},
	{"request_block", 2}, {"respond_block", 0}, {"reject_block", 0},
	{"request_block_header", 2}, {"respond_block_header", 0}, {"reject_header_request", 0},
	{"request_block_headers", 2}, {"respond_block_headers", 0}, {"reject_block_headers", 0},
	{"request_header_blocks", 2}, {"respond_header_blocks", 0}, {"reject_header_blocks", 0},
	{"register_for_ph_updates", 2}, {"respond_to_ph_updates", 0},
	{"register_for_coin_updates", 2}, {"respond_to_coin_updates", 0},
	{"request_puzzle_state", 2}, {"respond_puzzle_state", 0}, {"reject_puzzle_state", 0},
	{"request_coin_state", 2}, {"respond_coin_state", 0}, {"reject_coin_state", 0},
	{"request_additions", 2}, {"respond_additions", 0}, {"reject_additions_request", 0},
	{"request_removals", 2}, {"respond_removals", 0}, {"reject_removals_request", 0},
	{"request_proof_of_weight", 2}, {"respond_proof_of_weight", 0},
	{"request_puzzle_solution", 2}, {"respond_puzzle_solution", 0}, {"reject_puzzle_solution", 0},
}

func TestV3WindowTable(t *testing.T) {
	table := V3WindowTable()
	if len(table) != 36 || len(referenceV3Windows) != 36 {
		t.Fatalf("V3WindowTable has %d entries, reference list %d; want 36", len(table), len(referenceV3Windows))
	}
	inTable := map[MessageType]uint16{}
	for i, r := range referenceV3Windows {
		mt := mustType(t, r.name)
		if table[i].Type != mt || table[i].Window != r.window {
			t.Errorf("V3WindowTable()[%d] = {%v %d}, want {%v %d}", i, table[i].Type, table[i].Window, mt, r.window)
		}
		inTable[mt] = r.window
	}
	for id := 0; id < 256; id++ {
		mt := MessageType(id)
		w, want := inTable[mt]
		got, ok := WindowV3(mt)
		if ok != want || got != w {
			t.Errorf("WindowV3(%v) = %d, %v; want %d, %v", mt, got, ok, w, want)
		}
		// Every windowed request expects a reply, and its replies are in
		// the table with window 0.
		if ok && got == V3RequestWindow {
			for _, r := range ValidReplies(mt) {
				if rw, rok := WindowV3(r); !rok || rw != 0 {
					t.Errorf("reply %v of %v: WindowV3 = %d, %v", r, mt, rw, rok)
				}
			}
		}
	}
	table[0].Window = 99
	if V3WindowTable()[0].Window != V3RequestWindow {
		t.Error("modifying the returned slice changed the package's table")
	}
}

func TestLocalConfigureWindowSizes(t *testing.T) {
	cws := LocalConfigureWindowSizes()
	if len(cws.Settings) != 36 || len(cws.Settings) > MaxConfigureRateLimitsEntries {
		t.Fatalf("%d settings", len(cws.Settings))
	}
	for i, r := range referenceV3Windows {
		s := cws.Settings[i]
		if MessageType(s.MessageType).String() != r.name || s.WindowSize != r.window {
			t.Errorf("setting %d = (%d, %d), want (%s, %d)", i, s.MessageType, s.WindowSize, r.name, r.window)
		}
	}
}

func TestLimitConstants(t *testing.T) {
	if MaxMessageSize != 52428800 || MaxMessageLen != 52428799 {
		t.Errorf("MaxMessageSize = %d, MaxMessageLen = %d", MaxMessageSize, MaxMessageLen)
	}
	if AggregateMaxMessages != 1000 || AggregateMaxTotalSize != 104857600 {
		t.Errorf("aggregate limit = %d msgs, %d bytes", AggregateMaxMessages, AggregateMaxTotalSize)
	}
	if MaxVersionStringBytes != 128 || MaxConfigureRateLimitsEntries != 256 {
		t.Errorf("MaxVersionStringBytes = %d, MaxConfigureRateLimitsEntries = %d", MaxVersionStringBytes, MaxConfigureRateLimitsEntries)
	}
	bans := []struct {
		got  time.Duration
		want int
	}{
		{InvalidProtocolBan, 10}, {APIExceptionBan, 10}, {InternalProtocolErrorBan, 10},
		{ConsensusErrorBan, 600}, {RateLimiterBan, 300},
	}
	for _, b := range bans {
		if b.got != time.Duration(b.want)*time.Second {
			t.Errorf("ban %v, want %d s", b.got, b.want)
		}
	}
	if RateLimitInterval != time.Minute {
		t.Errorf("RateLimitInterval = %v", RateLimitInterval)
	}
}
