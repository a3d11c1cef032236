package protocol

import (
	"slices"
	"testing"
)

// referenceReplies is VALID_REPLY_MESSAGE_MAP as transport spec §4.2 lists
// it, by name.
var referenceReplies = map[string][]string{
	"request_transaction":                      {"respond_transaction"},
	"request_proof_of_weight":                  {"respond_proof_of_weight"},
	"request_block":                            {"respond_block", "reject_block"},
	"request_blocks":                           {"respond_blocks", "reject_blocks"},
	"request_unfinished_block":                 {"respond_unfinished_block"},
	"request_unfinished_block2":                {"respond_unfinished_block"},
	"request_block_header":                     {"respond_block_header", "reject_header_request"},
	"request_removals":                         {"respond_removals", "reject_removals_request"},
	"request_additions":                        {"respond_additions", "reject_additions_request"},
	"request_signage_point_or_end_of_sub_slot": {"respond_signage_point", "respond_end_of_sub_slot"},
	"request_compact_vdf":                      {"respond_compact_vdf"},
	"request_peers":                            {"respond_peers"},
	"request_header_blocks":                    {"respond_header_blocks", "reject_header_blocks", "reject_block_headers"},
	"request_block_headers":                    {"respond_block_headers", "reject_block_headers", "reject_header_blocks"},
	"register_for_ph_updates":                  {"respond_to_ph_updates"},
	"register_for_coin_updates":                {"respond_to_coin_updates"},
	"request_children":                         {"respond_children"},
	"request_ses_hashes":                       {"respond_ses_hashes"},
	"request_peers_introducer":                 {"respond_peers_introducer"},
	"request_puzzle_solution":                  {"respond_puzzle_solution", "reject_puzzle_solution"},
	"send_transaction":                         {"transaction_ack"},
	"request_remove_puzzle_subscriptions":      {"respond_remove_puzzle_subscriptions"},
	"request_remove_coin_subscriptions":        {"respond_remove_coin_subscriptions"},
	"request_puzzle_state":                     {"respond_puzzle_state", "reject_puzzle_state"},
	"request_coin_state":                       {"respond_coin_state", "reject_coin_state"},
	"request_cost_info":                        {"respond_cost_info"},
}

// referenceNoReply is NO_REPLY_EXPECTED (transport spec §4.2).
var referenceNoReply = []string{
	"new_peak", "new_transaction", "new_unfinished_block", "new_unfinished_block2",
	"new_signage_point_or_end_of_sub_slot", "request_mempool_transactions", "new_compact_vdf",
	"coin_state_update", "mempool_items_added", "mempool_items_removed",
}

func mustType(t *testing.T, name string) MessageType {
	t.Helper()
	mt, ok := ParseMessageType(name)
	if !ok {
		t.Fatalf("unknown message type name %q", name)
	}
	return mt
}

func TestValidRepliesMatchReference(t *testing.T) {
	for id := 0; id < 256; id++ {
		req := MessageType(id)
		wantNames, mapped := referenceReplies[req.String()]
		got := ValidReplies(req)
		if ExpectsReply(req) != mapped {
			t.Errorf("ExpectsReply(%v) = %v, want %v", req, !mapped, mapped)
		}
		if BroadcastAllowed(req) == mapped {
			t.Errorf("BroadcastAllowed(%v) = %v, want %v", req, mapped, !mapped)
		}
		if !mapped {
			if got != nil {
				t.Errorf("ValidReplies(%v) = %v, want nil", req, got)
			}
			continue
		}
		var want []MessageType
		for _, n := range wantNames {
			want = append(want, mustType(t, n))
		}
		if !slices.Equal(got, want) {
			t.Errorf("ValidReplies(%v) = %v, want %v", req, got, want)
		}
	}
}

func TestReplyOK(t *testing.T) {
	cases := []struct {
		sent, received MessageType
		ok             bool
	}{
		{MsgRequestBlock, MsgRespondBlock, true},
		{MsgRequestBlock, MsgRejectBlock, true},
		{MsgRequestBlock, MsgRespondBlocks, false},
		{MsgRequestBlock, MsgNoneResponse, false},
		{MsgRequestPeers, MsgRespondPeers, true},
		{MsgRequestPeers, MsgRespondPeersIntroducer, false},
		{MsgRequestHeaderBlocks, MsgRejectBlockHeaders, true},
		{MsgRequestBlockHeaders, MsgRejectHeaderBlocks, true},
		{MsgSendTransaction, MsgTransactionAck, true},
		{MsgSendTransaction, MsgRespondTransaction, false},
		// error is acceptable for any request, mapped or not.
		{MsgRequestBlock, MsgError, true},
		{MsgRequestFeeEstimates, MsgError, true},
		{MessageType(200), MsgError, true},
		// Unmapped requests are not type-checked.
		{MsgRequestFeeEstimates, MsgRespondFeeEstimates, true},
		{MsgRequestFeeEstimates, MsgRespondBlock, true},
		{MsgRequestSignatures, MsgRespondSignatures, true},
		{MsgNewPeak, MsgRespondPeers, true},
		{MessageType(2), MessageType(200), true},
	}
	for _, c := range cases {
		if got := ReplyOK(c.sent, c.received); got != c.ok {
			t.Errorf("ReplyOK(%v, %v) = %v, want %v", c.sent, c.received, got, c.ok)
		}
	}
}

func TestValidRepliesReturnsCopy(t *testing.T) {
	r := ValidReplies(MsgRequestBlock)
	r[0] = MsgError
	if ValidReplies(MsgRequestBlock)[0] != MsgRespondBlock {
		t.Error("modifying the returned slice changed the package's map")
	}
}

func TestNoReplyExpected(t *testing.T) {
	want := map[MessageType]bool{}
	for _, n := range referenceNoReply {
		want[mustType(t, n)] = true
	}
	for id := 0; id < 256; id++ {
		mt := MessageType(id)
		if NoReplyExpected(mt) != want[mt] {
			t.Errorf("NoReplyExpected(%v) = %v, want %v", mt, !want[mt], want[mt])
		}
		if NoReplyExpected(mt) && ExpectsReply(mt) {
			t.Errorf("%v is both in NO_REPLY_EXPECTED and VALID_REPLY_MESSAGE_MAP", mt)
		}
	}
}

func TestAllowedSenders(t *testing.T) {
	all := []NodeType{NodeFullNode, NodeHarvester, NodeFarmer, NodeTimelord, NodeIntroducer, NodeWallet, NodeDataLayer, NodeSolver}
	cases := []struct {
		t    MessageType
		want []NodeType
	}{
		{MsgHandshake, all},
		{MsgConfigureWindowSizes, all},
		{MsgError, all},
		{MsgNoneResponse, nil},
		{MsgHarvesterHandshake, []NodeType{NodeFarmer}},
		{MsgNewProofOfSpace, []NodeType{NodeHarvester}},
		{MsgPartialProofs, []NodeType{NodeHarvester}},
		{MsgSolutionResponse, []NodeType{NodeSolver}},
		{MsgSolve, []NodeType{NodeFarmer}},
		{MsgNewInfusionPointVDF, []NodeType{NodeTimelord}},
		{MsgRequestProofOfWeight, []NodeType{NodeFullNode, NodeWallet}},
		{MsgRequestPeers, []NodeType{NodeFullNode, NodeWallet}},
		{MsgRespondPeers, []NodeType{NodeFullNode}},
		{MsgRequestPeersIntroducer, []NodeType{NodeFullNode, NodeFarmer, NodeWallet}},
		{MsgRespondPeersIntroducer, []NodeType{NodeIntroducer}},
		{MsgRequestBlockHeaders, []NodeType{NodeWallet}},
		{MsgRequestFeeEstimates, []NodeType{NodeWallet}},
		{MsgPlotSyncResponse, []NodeType{NodeFarmer}},
		{MsgFarmNewBlock, []NodeType{NodeFullNode}},
		{MessageType(2), nil},
		{MessageType(200), nil},
	}
	for _, c := range cases {
		if got := AllowedSenders(c.t); !slices.Equal(got, c.want) {
			t.Errorf("AllowedSenders(%v) = %v, want %v", c.t, got, c.want)
		}
		for n := NodeType(0); n <= 10; n++ {
			want := slices.Contains(c.want, n)
			if got := SenderAllowed(c.t, n); got != want {
				t.Errorf("SenderAllowed(%v, %v) = %v, want %v", c.t, n, got, want)
			}
		}
	}
}

func TestEveryKnownTypeHasSenders(t *testing.T) {
	// Appendix B lists a sender for every type except none_response.
	for _, mt := range AllMessageTypes() {
		got := AllowedSenders(mt)
		if mt == MsgNoneResponse {
			if len(got) != 0 {
				t.Errorf("none_response allowed from %v", got)
			}
			continue
		}
		if len(got) == 0 {
			t.Errorf("%v has no allowed sender", mt)
		}
	}
}
