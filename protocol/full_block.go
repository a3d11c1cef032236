package protocol

import (
	"fmt"

	"github.com/chianet/chianet/streamable"
)

// Binary codec of FullBlock (declared with //streamgen:custom-binary; its
// JSON, Hash and TypeName are generated).
//
// The fields up to transactions_info are streamed plainly. Then the
// presence byte of transactions_generator also carries a format version:
// version = prefix >> 1, bit 0 = a generator follows.
//
//	version 0 (prefix 0/1): [Program if bit 0], transactions_generator_ref_list [u32]
//	version 1 (prefix 2/3): [u32 length + raw generator bytes if bit 0]
//
// Version 0 is byte-identical to the older plain-Optional layout. Version 1
// keeps the generator in transactions_generator_buffer, leaves
// transactions_generator nil and the ref list empty, and has no ref list on
// the wire. The same layout is used by UnfinishedBlock. The hash follows the
// serialization.

// Prefix byte bits of the packed transactions_generator presence byte.
const (
	genPrefixHasGenerator = 0b01
	genPrefixVersion1     = 0b10
)

// encodeBlockGenerator appends the packed generator section shared by
// FullBlock and UnfinishedBlock. Values the wire cannot express make w
// fail with streamable.ErrInvalidValue.
func encodeBlockGenerator(w *streamable.Writer, typeName string, version uint8, gen *Program, refs []uint32, buf *ByteList) {
	switch version {
	case 0:
		if buf != nil {
			w.Fail(fmt.Errorf("%w: %s version 0 cannot carry transactions_generator_buffer", streamable.ErrInvalidValue, typeName))
			return
		}
		if gen != nil {
			w.U8(genPrefixHasGenerator)
			gen.EncodeStreamable(w)
		} else {
			w.U8(0)
		}
		w.Len(len(refs))
		for _, h := range refs {
			w.U32(h)
		}
	case 1:
		if gen != nil || len(refs) != 0 {
			w.Fail(fmt.Errorf("%w: %s version 1 cannot carry transactions_generator or transactions_generator_ref_list", streamable.ErrInvalidValue, typeName))
			return
		}
		if buf != nil {
			w.U8(genPrefixVersion1 | genPrefixHasGenerator)
			w.BytesPrefixed(*buf)
		} else {
			w.U8(genPrefixVersion1)
		}
	default:
		w.Fail(fmt.Errorf("%w: %s version %d (only 0 and 1 exist)", streamable.ErrInvalidValue, typeName, version))
	}
}

// decodeBlockGenerator reads the packed generator section shared by
// FullBlock and UnfinishedBlock. The returned error already carries the
// field name.
func decodeBlockGenerator(r *streamable.Reader, typeName string, slot *Program) (version uint8, gen *Program, refs []uint32, buf *ByteList, err error) {
	prefix, err := r.U8()
	if err != nil {
		return 0, nil, nil, nil, streamable.Field(err, "transactions_generator")
	}
	version = prefix >> 1
	has := prefix&genPrefixHasGenerator != 0
	switch version {
	case 0:
		if has {
			gen = slot
			if err := gen.DecodeStreamable(r); err != nil {
				return 0, nil, nil, nil, streamable.Field(err, "transactions_generator")
			}
		}
		n, err := r.ListLen(4)
		if err != nil {
			return 0, nil, nil, nil, streamable.Field(err, "transactions_generator_ref_list")
		}
		refs = make([]uint32, n)
		for i := range refs {
			if refs[i], err = r.U32(); err != nil {
				return 0, nil, nil, nil, streamable.Field(streamable.Index(err, i), "transactions_generator_ref_list")
			}
		}
	case 1:
		refs = []uint32{}
		if has {
			b, err := r.Bytes()
			if err != nil {
				return 0, nil, nil, nil, streamable.Field(err, "transactions_generator_buffer")
			}
			l := ByteList(b)
			buf = &l
		}
	default:
		return 0, nil, nil, nil, streamable.Field(fmt.Errorf("%w: %s generator prefix byte 0x%02x (version %d)", streamable.ErrInvalidValue, typeName, prefix, version), "transactions_generator")
	}
	return version, gen, refs, buf, nil
}

// encodeFinishedSubSlots appends a list of EndOfSubSlotBundle.
func encodeFinishedSubSlots(w *streamable.Writer, l []EndOfSubSlotBundle) {
	w.Len(len(l))
	for i := range l {
		l[i].EncodeStreamable(w)
	}
}

// decodeFinishedSubSlots reads a list of EndOfSubSlotBundle. The returned
// error already carries the field name.
func decodeFinishedSubSlots(r *streamable.Reader) ([]EndOfSubSlotBundle, error) {
	n, err := r.ListLen(minLenEndOfSubSlotBundle)
	if err != nil {
		return nil, streamable.Field(err, "finished_sub_slots")
	}
	l := make([]EndOfSubSlotBundle, n)
	for i := range l {
		if err := l[i].DecodeStreamable(r); err != nil {
			return nil, streamable.Field(streamable.Index(err, i), "finished_sub_slots")
		}
	}
	return l, nil
}

// blockOptionals holds the values of a block's optional fields, so that
// decoding a block costs one allocation for all of them rather than one
// each (most blocks carry several).
type blockOptionals struct {
	ccSp, rcSp, iccIp VDFProof
	ftb               FoliageTransactionBlock
	ti                TransactionsInfo
	gen               Program
}

// decodeOptionalVDFProof reads a plain Optional VDFProof into slot and
// returns slot if the value is present.
func decodeOptionalVDFProof(r *streamable.Reader, slot *VDFProof) (*VDFProof, error) {
	ok, err := r.Option()
	if err != nil || !ok {
		return nil, err
	}
	v := slot
	if err := v.DecodeStreamable(r); err != nil {
		return nil, err
	}
	return v, nil
}

// encodeOptionalVDFProof appends a plain Optional VDFProof.
func encodeOptionalVDFProof(w *streamable.Writer, v *VDFProof) {
	if v == nil {
		w.U8(0)
		return
	}
	w.U8(1)
	v.EncodeStreamable(w)
}

// encodeBlockTail appends foliage_transaction_block and transactions_info,
// the plain optionals shared by FullBlock and UnfinishedBlock before the
// generator section.
func encodeBlockTail(w *streamable.Writer, ftb *FoliageTransactionBlock, ti *TransactionsInfo) {
	if ftb != nil {
		w.U8(1)
		ftb.EncodeStreamable(w)
	} else {
		w.U8(0)
	}
	if ti != nil {
		w.U8(1)
		ti.EncodeStreamable(w)
	} else {
		w.U8(0)
	}
}

// decodeBlockTail reads what encodeBlockTail writes. The returned error
// already carries the field name.
func decodeBlockTail(r *streamable.Reader, o *blockOptionals) (*FoliageTransactionBlock, *TransactionsInfo, error) {
	var ftb *FoliageTransactionBlock
	var ti *TransactionsInfo
	ok, err := r.Option()
	if err != nil {
		return nil, nil, streamable.Field(err, "foliage_transaction_block")
	}
	if ok {
		ftb = &o.ftb
		if err := ftb.DecodeStreamable(r); err != nil {
			return nil, nil, streamable.Field(err, "foliage_transaction_block")
		}
	}
	if ok, err = r.Option(); err != nil {
		return nil, nil, streamable.Field(err, "transactions_info")
	}
	if ok {
		ti = &o.ti
		if err := ti.DecodeStreamable(r); err != nil {
			return nil, nil, streamable.Field(err, "transactions_info")
		}
	}
	return ftb, ti, nil
}

// EncodeStreamable appends the serialization. A version other than 0 or 1,
// a version 0 block with a transactions_generator_buffer, or a version 1
// block with a transactions_generator or a non-empty ref list makes w fail
// with streamable.ErrInvalidValue.
func (x *FullBlock) EncodeStreamable(w *streamable.Writer) {
	encodeFinishedSubSlots(w, x.FinishedSubSlots)
	x.RewardChainBlock.EncodeStreamable(w)
	encodeOptionalVDFProof(w, x.ChallengeChainSpProof)
	x.ChallengeChainIpProof.EncodeStreamable(w)
	encodeOptionalVDFProof(w, x.RewardChainSpProof)
	x.RewardChainIpProof.EncodeStreamable(w)
	encodeOptionalVDFProof(w, x.InfusedChallengeChainIpProof)
	x.Foliage.EncodeStreamable(w)
	encodeBlockTail(w, x.FoliageTransactionBlock, x.TransactionsInfo)
	encodeBlockGenerator(w, "FullBlock", x.Version, x.TransactionsGenerator, x.TransactionsGeneratorRefList, x.TransactionsGeneratorBuffer)
}

// DecodeStreamable reads the serialization. A generator format version
// other than 0 or 1 is an error wrapping streamable.ErrInvalidValue.
func (x *FullBlock) DecodeStreamable(r *streamable.Reader) error {
	*x = FullBlock{}
	o := new(blockOptionals)
	var err error
	if x.FinishedSubSlots, err = decodeFinishedSubSlots(r); err != nil {
		return err
	}
	if err = x.RewardChainBlock.DecodeStreamable(r); err != nil {
		return streamable.Field(err, "reward_chain_block")
	}
	if x.ChallengeChainSpProof, err = decodeOptionalVDFProof(r, &o.ccSp); err != nil {
		return streamable.Field(err, "challenge_chain_sp_proof")
	}
	if err = x.ChallengeChainIpProof.DecodeStreamable(r); err != nil {
		return streamable.Field(err, "challenge_chain_ip_proof")
	}
	if x.RewardChainSpProof, err = decodeOptionalVDFProof(r, &o.rcSp); err != nil {
		return streamable.Field(err, "reward_chain_sp_proof")
	}
	if err = x.RewardChainIpProof.DecodeStreamable(r); err != nil {
		return streamable.Field(err, "reward_chain_ip_proof")
	}
	if x.InfusedChallengeChainIpProof, err = decodeOptionalVDFProof(r, &o.iccIp); err != nil {
		return streamable.Field(err, "infused_challenge_chain_ip_proof")
	}
	if err = x.Foliage.DecodeStreamable(r); err != nil {
		return streamable.Field(err, "foliage")
	}
	if x.FoliageTransactionBlock, x.TransactionsInfo, err = decodeBlockTail(r, o); err != nil {
		return err
	}
	x.Version, x.TransactionsGenerator, x.TransactionsGeneratorRefList, x.TransactionsGeneratorBuffer, err = decodeBlockGenerator(r, "FullBlock", &o.gen)
	return err
}
