/**
 * The Spotify CSV (`user_id,end_time,artist_name,track_name,ms_played`, spotify.ts) as a bulk plan: the same
 * rules as readSpotifyCsv in SQL, for the store to run over the whole file (issue 14). Rows the SQL cannot
 * vouch for are judged by spotifyCsvRow itself, so verdicts and reasons are the JavaScript reader's.
 */
import { parse } from "csv-parse/sync";
import type { BulkCsvPlan, BulkSelect, LineVerdict } from "../store/bulk-ingest.js";
import { csvHeader, spotifyCsvRow } from "./spotify.js";
import {
  nameOk,
  plainTextOk,
  playedMsSql,
  songIdSql,
  sqlString,
  timeMsSql,
  timePartsSql,
} from "./sql-rules.js";
import { Bad } from "./values.js";

/** Options csv-parse is given by csv.ts's reader, for judging one line alone. */
const CSV_OPTIONS = {
  delimiter: ",",
  quote: '"',
  record_delimiter: ["\r\n", "\n"],
  relax_column_count: true,
  relax_quotes: true,
  skip_empty_lines: true,
};

export class SpotifyCsvPlan implements BulkCsvPlan {
  readonly kind = "csv";
  readonly delimiter = ",";
  readonly itemKind = "song";
  private idx: number[] = [];

  constructor(
    private readonly file: string,
    private readonly fallbackUser: string | undefined,
  ) {}

  header(text: string): void {
    const rec = parse(text.replace(/^\uFEFF/, ""), CSV_OPTIONS) as string[][];
    this.idx = csvHeader(this.file, undefined, rec[0] ?? [], this.fallbackUser);
  }

  select(field: (k: number) => string, count: string): BulkSelect {
    const [u, e, a, t, p] = this.idx;
    const at = (k: number) => field(k + 1);
    const fields = {
      f_user: u < 0 ? sqlString(this.fallbackUser as string) : at(u),
      f_end: at(e),
      f_artist: at(a),
      f_track: at(t),
      f_played: at(p),
      f_count: count,
    };
    const derived = { d_end_parts: timePartsSql("f_end"), d_item: songIdSql("f_artist", "f_track") };
    const values = {
      user: "f_user",
      item: "d_item",
      endMs: timeMsSql("f_end", "d_end_parts"),
      playedMs: playedMsSql("f_played"),
      title: "f_track",
      creator: "f_artist",
    };
    const ok = [
      `f_count > ${Math.max(...this.idx)}`,
      u < 0 ? "true" : plainTextOk("f_user", 200),
      nameOk("f_artist"),
      nameOk("f_track"),
      "strlen(d_item) <= 1000",
      "end_ms IS NOT NULL",
      "played_ms IS NOT NULL",
    ].join(" AND ");
    return { fields, derived, values, ok: `coalesce(${ok}, false)` };
  }

  /**
   * spotifyCsvRow on each line; "irregular" for a line csv-parse does not read as one record on its own. The
   * lines are parsed as one text (a parser per line costs a hundred times more) when that gives one record per
   * line: a line can only merge with the next (an open quote), never split, so equal counts pair them up.
   */
  judge(lines: string[]): LineVerdict[] {
    let recs: string[][] | undefined;
    try {
      recs = parse(lines.join("\n"), CSV_OPTIONS) as string[][];
    } catch {
      recs = undefined;
    }
    if (recs?.length === lines.length) return recs.map((rec) => this.verdict(rec));
    return lines.map((line) => {
      try {
        const one = parse(line, CSV_OPTIONS) as string[][];
        return one.length === 1 ? this.verdict(one[0]) : "irregular";
      } catch {
        return "irregular";
      }
    });
  }

  private verdict(rec: string[]): LineVerdict {
    const r = spotifyCsvRow(rec, this.idx, this.fallbackUser);
    if (r instanceof Bad) return { bad: { field: r.field, reason: r.reason } };
    return { event: r, title: rec[this.idx[3]], creator: rec[this.idx[2]] };
  }
}
