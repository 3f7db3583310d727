import BTreeModule from 'sorted-btree'
import { bulkLoad as bulkLoadTree } from 'sorted-btree/extended/bulkLoad.js'

// sorted-btree is CommonJS with `exports.default`: bundlers and vitest hand us the class, Node's ESM
// loader hands us the exports object. Take the class either way.
const interop = BTreeModule as typeof BTreeModule & { default?: typeof BTreeModule }

/** The B+ tree class of sorted-btree (ordered map, O(log n) per operation). */
export const BTree: typeof BTreeModule = interop.default ?? BTreeModule
export type BTree<K, V> = BTreeModule<K, V>

/** sorted-btree's default branching factor, which `bulkLoad` has to be told. */
const NODE_SIZE = 32

/** A tree of `keys` (sorted, strictly ascending by `compare`) and their values, built bottom-up in O(n). */
export function bulkLoad<K, V>(keys: K[], values: V[], compare: (a: K, b: K) => number): BTree<K, V> {
  return bulkLoadTree(keys, values, NODE_SIZE, compare)
}
