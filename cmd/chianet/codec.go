package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/chianet/chianet/protocol"
	"github.com/chianet/chianet/streamable"
	"github.com/spf13/cobra"
)

// maxInput bounds what the codec commands read: the largest peer message
// (50 MiB) as hex plus some slack.
const maxInput = 2*protocol.MaxMessageSize + 1024

// messageTypeName is the pseudo type name that selects the envelope.
const messageTypeName = "Message"

func readInput(stdin io.Reader, args []string) ([]byte, error) {
	var r io.Reader = stdin
	if len(args) == 1 && args[0] != "-" {
		f, err := os.Open(args[0])
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxInput {
		return nil, fmt.Errorf("input is larger than %d bytes", maxInput)
	}
	return data, nil
}

// readSerialized reads binary input, or hex text when asHex is set.
func readSerialized(stdin io.Reader, args []string, asHex bool) ([]byte, error) {
	data, err := readInput(stdin, args)
	if err != nil {
		return nil, err
	}
	if !asHex {
		return data, nil
	}
	s := strings.Join(strings.Fields(string(data)), "")
	s = strings.TrimPrefix(strings.TrimPrefix(s, "0x"), "0X")
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("input is not hex: %v", err)
	}
	return b, nil
}

func newValue(name string) (protocol.Value, error) {
	v, ok := protocol.NewValue(name)
	if !ok {
		return nil, fmt.Errorf("unknown type %q (chianet types lists them)", name)
	}
	return v, nil
}

func writeJSON(w io.Writer, raw []byte, compact bool) error {
	var out bytes.Buffer
	if compact {
		out.Write(raw)
	} else if err := json.Indent(&out, raw, "", "  "); err != nil {
		return err
	}
	out.WriteByte('\n')
	_, err := w.Write(out.Bytes())
	return err
}

// decodeToJSON turns serialized bytes of the named type into its
// reference JSON; "Message" decodes the envelope and its payload.
func decodeToJSON(name string, data []byte) ([]byte, error) {
	if name == messageTypeName {
		m, err := protocol.DecodeMessage(data)
		if err != nil {
			return nil, err
		}
		return m.MarshalJSON()
	}
	v, err := newValue(name)
	if err != nil {
		return nil, err
	}
	if err := streamable.Unmarshal(data, v); err != nil {
		return nil, err
	}
	return v.AppendJSON(nil), nil
}

// encodeFromJSON turns reference JSON of the named type into its
// serialization.
func encodeFromJSON(name string, data []byte) ([]byte, error) {
	if name == messageTypeName {
		var m protocol.Message
		if err := m.UnmarshalJSON(data); err != nil {
			return nil, err
		}
		return m.MarshalBinary()
	}
	v, err := newValue(name)
	if err != nil {
		return nil, err
	}
	if err := streamable.UnmarshalJSON(data, v); err != nil {
		return nil, err
	}
	return streamable.Marshal(v)
}

func newDecodeCmd(stdin io.Reader, stdout io.Writer) *cobra.Command {
	var typeName string
	var asHex, compact bool
	cmd := &cobra.Command{
		Use:   "decode --type NAME [--hex] [FILE]",
		Short: "Decode serialized bytes of a type and print its reference JSON",
		Long: `Decode reads the Streamable serialization of one value (binary, or hex text with
--hex; standard input when no FILE is given) and prints the JSON the reference
implementation renders for it. --type Message decodes a peer message envelope and
prints {"type": <name>, "id": <id or null>, "data": <payload JSON>}.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := readSerialized(stdin, args, asHex)
			if err != nil {
				return err
			}
			out, err := decodeToJSON(typeName, data)
			if err != nil {
				return err
			}
			return writeJSON(stdout, out, compact)
		},
	}
	cmd.Flags().StringVar(&typeName, "type", "", "type name, e.g. RespondBlock, or Message (required)")
	cmd.Flags().BoolVar(&asHex, "hex", false, "input is hex text rather than binary")
	cmd.Flags().BoolVar(&compact, "compact", false, "print JSON on one line")
	_ = cmd.MarkFlagRequired("type")
	return cmd
}

func newEncodeCmd(stdin io.Reader, stdout io.Writer) *cobra.Command {
	var typeName string
	cmd := &cobra.Command{
		Use:   "encode --type NAME [FILE]",
		Short: "Encode reference JSON of a type and print its serialization as hex",
		Long: `Encode reads the reference JSON of one value (standard input when no FILE is
given) and prints its Streamable serialization as one line of lowercase hex.
--type Message takes {"type": <name or number>, "id": <id or null>, "data": <payload JSON>}.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			data, err := readInput(stdin, args)
			if err != nil {
				return err
			}
			out, err := encodeFromJSON(typeName, data)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(stdout, hex.EncodeToString(out))
			return err
		},
	}
	cmd.Flags().StringVar(&typeName, "type", "", "type name, e.g. RespondBlock, or Message (required)")
	_ = cmd.MarkFlagRequired("type")
	return cmd
}

// hashOf returns the identifying hash of v: the header hash of blocks, the
// name of a spend bundle, the id of a coin, else the hash of the
// serialization. A value that cannot be serialized has none; the error
// says so and why.
func hashOf(v protocol.Value) (protocol.Bytes32, error) {
	var h protocol.Bytes32
	var err error
	switch x := v.(type) {
	case interface {
		HeaderHash() (protocol.Bytes32, error)
	}:
		h, err = x.HeaderHash()
	case *protocol.SpendBundle:
		h, err = x.Name()
	case *protocol.Coin:
		return x.ID(), nil
	default:
		h, err = v.Hash()
	}
	if err != nil {
		return protocol.Bytes32{}, fmt.Errorf("%s has no hash because it cannot be serialized: %w", v.TypeName(), err)
	}
	return h, nil
}

// hashInput returns the hash the hash command prints for input data of
// the named type, given as serialized bytes or, with fromJSON, as
// reference JSON.
func hashInput(name string, data []byte, fromJSON bool) (protocol.Bytes32, error) {
	if name == messageTypeName {
		if fromJSON {
			b, err := encodeFromJSON(name, data)
			if err != nil {
				return protocol.Bytes32{}, err
			}
			data = b
		} else if _, err := protocol.DecodeMessage(data); err != nil {
			return protocol.Bytes32{}, err
		}
		return sha256Bytes(data), nil
	}
	v, err := newValue(name)
	if err != nil {
		return protocol.Bytes32{}, err
	}
	if fromJSON {
		err = streamable.UnmarshalJSON(data, v)
	} else {
		err = streamable.Unmarshal(data, v)
	}
	if err != nil {
		return protocol.Bytes32{}, err
	}
	return hashOf(v)
}

func newHashCmd(stdin io.Reader, stdout io.Writer) *cobra.Command {
	var typeName string
	var asHex, asJSON bool
	cmd := &cobra.Command{
		Use:   "hash --type NAME [--hex | --json] [FILE]",
		Short: "Print the hash of a serialized value",
		Long: `Hash reads the Streamable serialization of one value (or, with --json, its
reference JSON) and prints 0x + 64 hex digits: the header hash for FullBlock,
UnfinishedBlock, HeaderBlock and UnfinishedHeaderBlock, the name for SpendBundle,
the id for Coin, and the SHA-256 of the serialization for every other type.
A value that cannot be serialized (from JSON: a ProofOfSpace of an unknown
version, say) has no hash, and the command fails saying why.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var data []byte
			var err error
			if asJSON {
				data, err = readInput(stdin, args)
			} else {
				data, err = readSerialized(stdin, args, asHex)
			}
			if err != nil {
				return err
			}
			h, err := hashInput(typeName, data, asJSON)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintln(stdout, h.String())
			return err
		},
	}
	cmd.Flags().StringVar(&typeName, "type", "", "type name (required)")
	cmd.Flags().BoolVar(&asHex, "hex", false, "input is hex text rather than binary")
	cmd.Flags().BoolVar(&asJSON, "json", false, "input is the reference JSON of the value")
	cmd.MarkFlagsMutuallyExclusive("hex", "json")
	_ = cmd.MarkFlagRequired("type")
	return cmd
}

func newTypesCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   "types",
		Short: "List every type name and every message id with its payload type",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			var b strings.Builder
			b.WriteString("Types:\n")
			for _, n := range protocol.TypeNames() {
				fmt.Fprintf(&b, "  %s\n", n)
			}
			fmt.Fprintf(&b, "  %s (the peer message envelope)\n", messageTypeName)
			b.WriteString("\nMessages (id name payload):\n")
			for _, t := range protocol.AllMessageTypes() {
				fmt.Fprintf(&b, "  %3d %-40s %s\n", uint8(t), t.String(), protocol.PayloadTypeName(t))
			}
			_, err := io.WriteString(stdout, b.String())
			return err
		},
	}
}

func sha256Bytes(b []byte) protocol.Bytes32 { return sha256.Sum256(b) }
