package protocol

import (
	"slices"
	"strconv"
	"testing"
)

// referenceMessageTypes is the reference ProtocolMessageTypes enum
// (rpc-and-types spec §4.13, transport spec Appendix B), written out here
// independently of message_types.go so a typo in either shows up.
var referenceMessageTypes = []struct {
	id   uint8
	name string
}{
	{1, "handshake"},
	{3, "harvester_handshake"},
	{5, "new_proof_of_space"},
	{6, "request_signatures"},
	{7, "respond_signatures"},
	{8, "new_signage_point"},
	{9, "declare_proof_of_space"},
	{10, "request_signed_values"},
	{11, "signed_values"},
	{12, "farming_info"},
	{13, "new_peak_timelord"},
	{14, "new_unfinished_block_timelord"},
	{15, "new_infusion_point_vdf"},
	{16, "new_signage_point_vdf"},
	{17, "new_end_of_sub_slot_vdf"},
	{18, "request_compact_proof_of_time"},
	{19, "respond_compact_proof_of_time"},
	{20, "new_peak"},
	{21, "new_transaction"},
	{22, "request_transaction"},
	{23, "respond_transaction"},
	{24, "request_proof_of_weight"},
	{25, "respond_proof_of_weight"},
	{26, "request_block"},
	{27, "respond_block"},
	{28, "reject_block"},
	{29, "request_blocks"},
	{30, "respond_blocks"},
	{31, "reject_blocks"},
	{32, "new_unfinished_block"},
	{33, "request_unfinished_block"},
	{34, "respond_unfinished_block"},
	{35, "new_signage_point_or_end_of_sub_slot"},
	{36, "request_signage_point_or_end_of_sub_slot"},
	{37, "respond_signage_point"},
	{38, "respond_end_of_sub_slot"},
	{39, "request_mempool_transactions"},
	{40, "request_compact_vdf"},
	{41, "respond_compact_vdf"},
	{42, "new_compact_vdf"},
	{43, "request_peers"},
	{44, "respond_peers"},
	{45, "request_puzzle_solution"},
	{46, "respond_puzzle_solution"},
	{47, "reject_puzzle_solution"},
	{48, "send_transaction"},
	{49, "transaction_ack"},
	{50, "new_peak_wallet"},
	{51, "request_block_header"},
	{52, "respond_block_header"},
	{53, "reject_header_request"},
	{54, "request_removals"},
	{55, "respond_removals"},
	{56, "reject_removals_request"},
	{57, "request_additions"},
	{58, "respond_additions"},
	{59, "reject_additions_request"},
	{60, "request_header_blocks"},
	{61, "reject_header_blocks"},
	{62, "respond_header_blocks"},
	{63, "request_peers_introducer"},
	{64, "respond_peers_introducer"},
	{65, "farm_new_block"},
	{66, "new_signage_point_harvester"},
	{67, "request_plots"},
	{68, "respond_plots"},
	{69, "coin_state_update"},
	{70, "register_for_ph_updates"},
	{71, "respond_to_ph_updates"},
	{72, "register_for_coin_updates"},
	{73, "respond_to_coin_updates"},
	{74, "request_children"},
	{75, "respond_children"},
	{76, "request_ses_hashes"},
	{77, "respond_ses_hashes"},
	{78, "plot_sync_start"},
	{79, "plot_sync_loaded"},
	{80, "plot_sync_removed"},
	{81, "plot_sync_invalid"},
	{82, "plot_sync_keys_missing"},
	{83, "plot_sync_duplicates"},
	{84, "plot_sync_done"},
	{85, "plot_sync_response"},
	{86, "request_block_headers"},
	{87, "reject_block_headers"},
	{88, "respond_block_headers"},
	{89, "request_fee_estimates"},
	{90, "respond_fee_estimates"},
	{91, "none_response"},
	{92, "new_unfinished_block2"},
	{93, "request_unfinished_block2"},
	{94, "request_remove_puzzle_subscriptions"},
	{95, "respond_remove_puzzle_subscriptions"},
	{96, "request_remove_coin_subscriptions"},
	{97, "respond_remove_coin_subscriptions"},
	{98, "request_puzzle_state"},
	{99, "respond_puzzle_state"},
	{100, "reject_puzzle_state"},
	{101, "request_coin_state"},
	{102, "respond_coin_state"},
	{103, "reject_coin_state"},
	{104, "mempool_items_added"},
	{105, "mempool_items_removed"},
	{106, "request_cost_info"},
	{107, "respond_cost_info"},
	{108, "solution_response"},
	{109, "solve"},
	{110, "partial_proofs"},
	{111, "configure_window_sizes"},
	{112, "plot_sync_loaded2"},
	{113, "respond_plots2"},
	{255, "error"}}

func TestMessageTypesExactlyReference(t *testing.T) {
	if len(referenceMessageTypes) != 112 {
		t.Fatalf("expected list has %d entries, want 112", len(referenceMessageTypes))
	}
	want := make(map[uint8]string, len(referenceMessageTypes))
	for _, r := range referenceMessageTypes {
		want[r.id] = r.name
	}
	for id := 0; id < 256; id++ {
		mt := MessageType(id)
		name, known := want[uint8(id)]
		if mt.Known() != known {
			t.Errorf("MessageType(%d).Known() = %v, want %v", id, mt.Known(), known)
		}
		if !known {
			if got, w := mt.String(), "unknown("+strconv.Itoa(id)+")"; got != w {
				t.Errorf("MessageType(%d).String() = %q, want %q", id, got, w)
			}
			continue
		}
		if got := mt.String(); got != name {
			t.Errorf("MessageType(%d).String() = %q, want %q", id, got, name)
		}
		back, ok := ParseMessageType(name)
		if !ok || back != mt {
			t.Errorf("ParseMessageType(%q) = %d, %v; want %d, true", name, back, ok, id)
		}
	}
}

func TestMessageTypeConstants(t *testing.T) {
	for _, c := range []struct {
		got  MessageType
		want uint8
		name string
	}{
		{MsgHandshake, 1, "handshake"},
		{MsgHarvesterHandshake, 3, "harvester_handshake"},
		{MsgNewInfusionPointVDF, 15, "new_infusion_point_vdf"},
		{MsgRequestCompactVDF, 40, "request_compact_vdf"},
		{MsgRequestPeers, 43, "request_peers"},
		{MsgFarmNewBlock, 65, "farm_new_block"},
		{MsgNewSignagePointHarvester, 66, "new_signage_point_harvester"},
		{MsgRegisterForPhUpdates, 70, "register_for_ph_updates"},
		{MsgRequestSESHashes, 76, "request_ses_hashes"},
		{MsgRespondSESHashes, 77, "respond_ses_hashes"},
		{MsgNoneResponse, 91, "none_response"},
		{MsgConfigureWindowSizes, 111, "configure_window_sizes"},
		{MsgPlotSyncLoaded2, 112, "plot_sync_loaded2"},
		{MsgRespondPlots2, 113, "respond_plots2"},
		{MsgError, 255, "error"},
	} {
		if uint8(c.got) != c.want || c.got.String() != c.name {
			t.Errorf("constant for %s = %d (%q), want %d", c.name, c.got, c.got.String(), c.want)
		}
	}
}

func TestRemovedAndUnassignedTypes(t *testing.T) {
	// 2 was handshake_ack, 4 the old new_signage_point_harvester; 0, 114..254
	// were never assigned.
	for _, id := range []uint8{0, 2, 4, 114, 200, 254} {
		if MessageType(id).Known() {
			t.Errorf("MessageType(%d) is known", id)
		}
	}
	if got := MessageType(2).String(); got != "unknown(2)" {
		t.Errorf("MessageType(2).String() = %q", got)
	}
	for _, name := range []string{"handshake_ack", "", "Handshake", "REQUEST_PEERS", "unknown(2)", " request_peers"} {
		if mt, ok := ParseMessageType(name); ok {
			t.Errorf("ParseMessageType(%q) = %d, true; want false", name, mt)
		}
	}
}

func TestAllMessageTypes(t *testing.T) {
	all := AllMessageTypes()
	if len(all) != len(referenceMessageTypes) {
		t.Fatalf("AllMessageTypes has %d entries, want %d", len(all), len(referenceMessageTypes))
	}
	if !slices.IsSorted(all) {
		t.Error("AllMessageTypes is not sorted")
	}
	for i, r := range referenceMessageTypes {
		if uint8(all[i]) != r.id {
			t.Errorf("AllMessageTypes()[%d] = %d, want %d", i, all[i], r.id)
		}
	}
	// The caller owns the slice.
	all[0] = 0
	if AllMessageTypes()[0] != MsgHandshake {
		t.Error("modifying the returned slice changed the package's list")
	}
}
