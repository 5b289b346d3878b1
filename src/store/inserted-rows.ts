/**
 * Positions in the batch of the rows an INSERT stored, given the keys it returned: the first row with each
 * key (a later row with the same key was the duplicate the insert skipped), ascending.
 */
export function rowsOfKeys<K>(batchKeys: readonly K[], storedKeys: readonly K[]): number[] {
  const stored = new Set(storedKeys);
  const rows: number[] = [];
  for (let k = 0; k < batchKeys.length; k++) {
    if (!stored.delete(batchKeys[k])) continue;
    rows.push(k);
  }
  return rows;
}
