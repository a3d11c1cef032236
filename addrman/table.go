package addrman

import "math/rand/v2"

// table is the slot matrix of the new or the tried table, flattened
// (slot = bucket*BucketSize + position). Besides the entry id in each
// occupied slot it keeps the list of occupied slots, so that a uniform
// pick among them and a full walk cost O(1) and O(occupied).
//
// The occupied slots are kept in a map, not in arrays of every slot: a
// node knows a few thousand addresses at most while the tables have
// 81,920 slots, and arrays of them cost 640 KiB per manager, most of a
// small node's heap when a thousand run in one process (package devnet).
type table struct {
	slots map[int32]slot // the occupied slots
	used  []int32        // the occupied slots, in no order
}

// slot is an occupied slot: its entry id and its index in table.used.
type slot struct{ id, where int32 }

func newTable() table { return table{slots: make(map[int32]slot)} }

// get returns the id in slot s, 0 if empty.
func (t *table) get(s int) int32 { return t.slots[int32(s)].id }

// put stores id in the empty slot s.
func (t *table) put(s int, id int32) {
	t.slots[int32(s)] = slot{id: id, where: int32(len(t.used))}
	t.used = append(t.used, int32(s))
}

// remove empties the occupied slot s.
func (t *table) remove(s int) {
	i := t.slots[int32(s)].where
	last := t.used[len(t.used)-1]
	t.used[i] = last
	moved := t.slots[last]
	moved.where = i
	t.slots[last] = moved
	t.used = t.used[:len(t.used)-1]
	delete(t.slots, int32(s))
}

// count returns the number of occupied slots.
func (t *table) count() int { return len(t.used) }

// pick returns a uniformly chosen occupied slot; the table must not be
// empty.
func (t *table) pick(r *rand.Rand) int { return int(t.used[r.IntN(len(t.used))]) }
