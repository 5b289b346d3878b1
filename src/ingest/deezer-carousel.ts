import { fileError, readBytes } from "./files.js";

/**
 * Reads a numeric CSV with a header (Deezer's carousel files: `playlist_features.csv` has 97 columns per
 * playlist, `user_features_small.csv` a `segment` column and 96 embedding dimensions). Returns the rows as
 * one row-major array over the columns not in `skip`.
 */
export async function readNumericCsv(
  file: string,
  skip: string[] = [],
): Promise<{ rows: number; cols: number; values: Float64Array }> {
  const lines = (await readBytes(file))
    .toString("utf8")
    .split(/\r?\n/)
    .filter((l) => l.trim() !== "");
  if (lines.length < 2) throw fileError(file, "no rows");
  const header = lines[0].split(",").map((h) => h.trim());
  const keep = header.flatMap((h, k) => (skip.includes(h) ? [] : [k]));
  const values = new Float64Array((lines.length - 1) * keep.length);
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i].split(",");
    if (cells.length !== header.length)
      throw fileError(file, `line ${i + 1}: ${cells.length} fields, the header has ${header.length}`);
    keep.forEach((k, j) => {
      const v = Number(cells[k]);
      if (cells[k].trim() === "" || !Number.isFinite(v))
        throw fileError(file, `line ${i + 1}: ${header[k]} ${JSON.stringify(cells[k])} is not a number`);
      values[(i - 1) * keep.length + j] = v;
    });
  }
  return { rows: lines.length - 1, cols: keep.length, values };
}
