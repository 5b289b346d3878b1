import type { EmbeddingTable } from "./embeddings.js";

/**
 * Δ_min read from a saved usearch index's own graph: the smallest positive distance between a word and
 * any word on its level-0 neighbour list, re-measured in double from the table. Every pair is a real pair,
 * so the result is never below the true Δ_min; it equals it when the build linked the closest pair, which
 * it does when either word's insertion search found the other (its nearest word, the easiest find there
 * is), and HNSW's neighbour selection always keeps a node's closest candidate. This replaces searching the
 * index once per word (about a third of a 400k table's first opening) by one pass over lists the build
 * already made.
 *
 * Hand-written because usearch's JavaScript API does not expose the graph; the layout is that of
 * usearch 2.25's index_dense save (vectors first, then a 64-byte head, then index_gt's header, node levels
 * and nodes). Anything that does not match it exactly (sizes, connectivity, total length, keys) returns
 * null, and the caller searches instead.
 *
 * bytes: the saved file; connectivity: the index's (its level-0 lists hold twice as many);
 * bytesPerVector: bytes of one stored vector (4·d for f32).
 */
export function savedGraphDeltaMin(
  table: EmbeddingTable,
  bytes: Uint8Array,
  connectivity: number,
  bytesPerVector: number,
): number | null {
  const n = table.size;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u64 = (at: number) => Number(view.getBigUint64(at, true));
  if (bytes.byteLength < 8) return null;
  if (view.getUint32(0, true) !== n || view.getUint32(4, true) !== bytesPerVector) return null;
  // Matrix, then the dense head (64 bytes), then index_gt's header: size, connectivity, connectivity_base,
  // max_level, entry_slot (u64 each).
  let at = 8 + n * bytesPerVector + 64;
  if (bytes.byteLength < at + 40 + 2 * n) return null;
  const base = 2 * connectivity;
  if (u64(at) !== n || u64(at + 8) !== connectivity || u64(at + 16) !== base) return null;
  at += 40;
  // Node = key (u64), level (i16), level-0 list (u32 count + base u32 slots), `level` upper lists.
  const headBytes = 10;
  const baseBytes = 4 + 4 * base;
  const upperBytes = 4 + 4 * connectivity;
  const nodeAt = new Float64Array(n);
  const keyOfSlot = new Int32Array(n);
  let next = at + 2 * n;
  for (let slot = 0; slot < n; slot++) {
    const level = view.getInt16(at + 2 * slot, true);
    if (level < 0 || next + headBytes + baseBytes > bytes.byteLength) return null;
    const key = u64(next);
    if (key >= n) return null;
    nodeAt[slot] = next;
    keyOfSlot[slot] = key;
    next += headBytes + baseBytes + upperBytes * level;
  }
  if (next !== bytes.byteLength) return null;

  const d = table.dimensions;
  const x = table.vectors;
  let bestSquared = Number.POSITIVE_INFINITY;
  for (let slot = 0; slot < n; slot++) {
    const list = nodeAt[slot] + headBytes;
    const count = view.getUint32(list, true);
    if (count > base) return null;
    const a = keyOfSlot[slot] * d;
    for (let j = 0; j < count; j++) {
      const other = view.getUint32(list + 4 + 4 * j, true);
      if (other >= n) return null;
      const b = keyOfSlot[other] * d;
      // Stops once the partial sum passes the best so far: most listed pairs are far above Δ_min.
      let s = 0;
      for (let i = 0; i < d && s < bestSquared; i++) {
        const diff = x[a + i] - x[b + i];
        s += diff * diff;
      }
      if (s > 0 && s < bestSquared) bestSquared = s;
    }
  }
  return Math.sqrt(bestSquared);
}
