package peer

import (
	"math/bits"
	"sync"

	"github.com/chianet/chianet/protocol"
)

// Large outgoing messages are encoded into buffers lent by sendBuffers and
// given back once written. A fresh buffer costs more than the copy into
// it: the runtime zeroes it first, and the garbage collector and the
// scavenger then return and refault its pages, which for a stream of
// 1 MiB messages took about a fifth of the sender's CPU.

// pooledMin is the smallest message encoded into a pooled buffer; below
// it an allocation is cheap. pooledMax is the largest: a buffer is
// rounded up to a power of two and stays in the pool for up to two
// garbage collections, which for the rare larger message (up to
// protocol.MaxMessageSize) would hold up to 64 MiB for one send.
const (
	pooledMin = 64 << 10
	pooledMax = 8 << 20
)

// sendBuffers holds free buffers by size class: class c holds buffers of
// capacity 1<<c, from pooledMin to pooledMax.
var sendBuffers [bits.UintSize]sync.Pool

// sizeClass returns the class whose buffers hold n bytes.
func sizeClass(n int) int { return bits.Len(uint(n - 1)) }

// getSendBuffer returns an empty buffer with room for n bytes, where
// pooledMin <= n <= pooledMax.
func getSendBuffer(n int) []byte {
	c := sizeClass(n)
	if b, ok := sendBuffers[c].Get().(*[]byte); ok {
		return (*b)[:0]
	}
	return make([]byte, 0, 1<<c)
}

// putSendBuffer gives back a buffer from getSendBuffer.
func putSendBuffer(b []byte) {
	c := sizeClass(cap(b))
	if cap(b) < pooledMin || cap(b) > pooledMax || cap(b) != 1<<c {
		return // not one of ours
	}
	sendBuffers[c].Put(&b)
}

// encode checks and encodes m for sending. pooled reports a buffer from
// getSendBuffer, which the writer gives back.
func encode(m *protocol.Message) (data []byte, pooled bool, err error) {
	if err := checkSendable(m); err != nil {
		return nil, false, err
	}
	n := m.EncodedLen()
	if n < pooledMin || n > pooledMax {
		data, err = m.MarshalBinary()
		return data, false, err
	}
	data, err = m.AppendTo(getSendBuffer(n))
	return data, err == nil, err
}
