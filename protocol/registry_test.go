package protocol

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"reflect"
	"testing"

	"github.com/chianet/chianet/streamable"
)

// TestGeneratedPayloads checks the generated registry (gen_message_types.go,
// from message_types.txt): every listed id, and no other, gives a fresh
// pointer to a zero value of the payload type it names. The tables cannot
// disagree, having one source; this tests what the generator made of it.
func TestGeneratedPayloads(t *testing.T) {
	for id := 0; id < 256; id++ {
		mt := MessageType(id)
		v, ok := NewPayload(mt)
		name := PayloadTypeName(mt)
		if ok != mt.Known() || (name != "") != mt.Known() {
			t.Errorf("%v: NewPayload ok %v, PayloadTypeName %q, Known %v", mt, ok, name, mt.Known())
			continue
		}
		if !ok {
			if v != nil {
				t.Errorf("%v: NewPayload returned %T for an unknown type", mt, v)
			}
			continue
		}
		if v.TypeName() != name {
			t.Errorf("%v: NewPayload gives %s, PayloadTypeName says %s", mt, v.TypeName(), name)
		}
		if rv := reflect.ValueOf(v); rv.Kind() != reflect.Pointer || rv.IsNil() || !rv.Elem().IsZero() {
			t.Errorf("%v: NewPayload did not return a pointer to a zero value: %#v", mt, v)
		}
		if v2, _ := NewPayload(mt); reflect.ValueOf(v2).Pointer() == reflect.ValueOf(v).Pointer() && reflect.TypeOf(v).Elem().Size() > 0 {
			t.Errorf("%v: NewPayload returned the same value twice", mt)
		}
	}
}

func TestRegistryPayloadTypes(t *testing.T) {
	check := func(mt MessageType, want Value) {
		t.Helper()
		v, ok := NewPayload(mt)
		if !ok || reflect.TypeOf(v) != reflect.TypeOf(want) {
			t.Errorf("NewPayload(%v) = %T, want %T", mt, v, want)
		}
	}
	check(MsgHandshake, (*Handshake)(nil))
	check(MsgConfigureWindowSizes, (*ConfigureWindowSizes)(nil))
	check(MsgError, (*Error)(nil))
	check(MsgNewSignagePointHarvester, (*NewSignagePointHarvester2)(nil))
	check(MsgRequestSESHashes, (*RequestSESInfo)(nil))
	check(MsgRespondSESHashes, (*RespondSESInfo)(nil))
	for _, mt := range []MessageType{MsgPlotSyncRemoved, MsgPlotSyncInvalid, MsgPlotSyncKeysMissing, MsgPlotSyncDuplicates} {
		check(mt, (*PlotSyncPathList)(nil))
	}
	check(MsgPlotSyncLoaded, (*PlotSyncPlotList)(nil))
	check(MsgPlotSyncLoaded2, (*PlotSyncPlotList2)(nil))
	check(MsgPartialProofs, (*PartialProofsData)(nil))
	check(MsgSolutionResponse, (*SolverResponse)(nil))
	check(MsgSolve, (*SolverInfo)(nil))
	check(MsgFarmNewBlock, (*FarmNewBlockProtocol)(nil))
	check(MsgRespondToPhUpdates, (*RespondToPhUpdates)(nil))
	check(MsgRequestCompactVDF, (*RequestCompactVDF)(nil))
	check(MsgNewInfusionPointVDF, (*NewInfusionPointVDF)(nil))
	check(MsgNoneResponse, (*NoneResponse)(nil))
}

func TestNoneResponse(t *testing.T) {
	var n NoneResponse
	b, err := streamable.Marshal(&n)
	if err != nil || len(b) != 0 {
		t.Errorf("Marshal = %x, %v", b, err)
	}
	if err := streamable.Unmarshal(nil, &n); err != nil {
		t.Errorf("Unmarshal(empty): %v", err)
	}
	if err := streamable.Unmarshal([]byte{0}, &n); !errors.Is(err, streamable.ErrTrailingBytes) {
		t.Errorf("Unmarshal(1 byte) = %v, want trailing bytes", err)
	}
	if j, _ := n.MarshalJSON(); string(j) != "{}" {
		t.Errorf("MarshalJSON = %s", j)
	}
	if err := n.UnmarshalJSON([]byte(`{}`)); err != nil {
		t.Errorf("UnmarshalJSON({}): %v", err)
	}
	if err := n.UnmarshalJSON([]byte(`[]`)); err == nil {
		t.Error("UnmarshalJSON([]) succeeded")
	}
	if h, err := n.Hash(); err != nil || h != Bytes32(sha256.Sum256(nil)) {
		t.Errorf("Hash = %v, %v", h, err)
	}
	m := Message{Type: MsgNoneResponse, Data: []byte{}}
	if v, err := m.Payload(); err != nil || v.TypeName() != "NoneResponse" {
		t.Errorf("Payload = %v, %v", v, err)
	}
}

func TestDecodePayloadErrors(t *testing.T) {
	if _, err := DecodePayload(MessageType(2), nil); !errors.Is(err, streamable.ErrInvalidValue) {
		t.Errorf("DecodePayload(unknown type) = %v", err)
	}
	// request_peers has no fields: one extra byte is trailing.
	if _, err := DecodePayload(MsgRequestPeers, []byte{0}); !errors.Is(err, streamable.ErrTrailingBytes) {
		t.Errorf("DecodePayload(request_peers, 1 byte) = %v", err)
	}
}

// The payload tests below need the generated codecs of Handshake and
// ConfigureWindowSizes.

func TestHandshakeMessageVector(t *testing.T) {
	hs := &Handshake{
		NetworkID:       "mainnet",
		ProtocolVersion: "0.0.38",
		SoftwareVersion: "2.7.3",
		ServerPort:      0,
		NodeType:        uint8(NodeWallet),
		Capabilities:    DefaultCapabilities(NodeWallet),
	}
	m, err := MakeMessage(MsgHandshake, hs)
	if err != nil {
		t.Fatal(err)
	}
	wire, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	if want := unhex(t, vecHandshake); !bytes.Equal(wire, want) {
		t.Fatalf("handshake message = %x, want %x", wire, want)
	}
	d, err := DecodeMessage(wire)
	if err != nil {
		t.Fatal(err)
	}
	v, err := d.Payload()
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(v, hs) {
		t.Errorf("decoded payload %+v, want %+v", v, hs)
	}
	if got := ActiveCapabilities(v.(*Handshake).Capabilities).List(); len(got) != 3 {
		t.Errorf("active capabilities %v", got)
	}
}

func TestConfigureWindowSizesMessageVector(t *testing.T) {
	cws := &ConfigureWindowSizes{Settings: []WindowSize{{MessageType: 29, WindowSize: 2}, {MessageType: 30, WindowSize: 0}}}
	m, err := MakeMessage(MsgConfigureWindowSizes, cws)
	if err != nil {
		t.Fatal(err)
	}
	if wire, _ := m.MarshalBinary(); !bytes.Equal(wire, unhex(t, vecConfigureWS)) {
		t.Errorf("configure_window_sizes message = %x", wire)
	}

	local, err := MakeMessage(MsgConfigureWindowSizes, LocalConfigureWindowSizes())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(local.Data); n != 4+36*3 || n > MaxPayloadSize(MsgConfigureWindowSizes, true) {
		t.Errorf("local ConfigureWindowSizes payload is %d bytes", n)
	}
}
