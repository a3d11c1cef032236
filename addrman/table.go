package addrman

import "math/rand/v2"

// table is the slot matrix of the new or the tried table, flattened
// (slot = bucket*BucketSize + position). Besides the entry id in each slot
// it keeps the list of occupied slots, so that a uniform pick among them
// and a full walk cost O(1) and O(occupied).
type table struct {
	ids   []int32 // entry id per slot; 0 is empty
	where []int32 // for an occupied slot, its index in used
	used  []int32 // the occupied slots, in no order
}

func newTable(buckets int) table {
	n := buckets * BucketSize
	return table{ids: make([]int32, n), where: make([]int32, n)}
}

// get returns the id in slot s, 0 if empty.
func (t *table) get(s int) int32 { return t.ids[s] }

// put stores id in the empty slot s.
func (t *table) put(s int, id int32) {
	t.ids[s] = id
	t.where[s] = int32(len(t.used))
	t.used = append(t.used, int32(s))
}

// remove empties the occupied slot s.
func (t *table) remove(s int) {
	i := t.where[s]
	last := t.used[len(t.used)-1]
	t.used[i] = last
	t.where[last] = i
	t.used = t.used[:len(t.used)-1]
	t.ids[s] = 0
}

// count returns the number of occupied slots.
func (t *table) count() int { return len(t.used) }

// pick returns a uniformly chosen occupied slot; the table must not be
// empty.
func (t *table) pick(r *rand.Rand) int { return int(t.used[r.IntN(len(t.used))]) }
