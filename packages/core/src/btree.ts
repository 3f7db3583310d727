import BTreeModule from 'sorted-btree'

// sorted-btree is CommonJS with `exports.default`: bundlers and vitest hand us the class, Node's ESM
// loader hands us the exports object. Take the class either way.
const interop = BTreeModule as typeof BTreeModule & { default?: typeof BTreeModule }

/** The B+ tree class of sorted-btree (ordered map, O(log n) per operation). */
export const BTree: typeof BTreeModule = interop.default ?? BTreeModule
export type BTree<K, V> = BTreeModule<K, V>
