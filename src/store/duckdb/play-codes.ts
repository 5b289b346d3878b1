import type { DuckDBConnection } from "@duckdb/node-api";

/**
 * The integer codes of users and items (tables user_codes and item_codes, schema 8) as the write connection
 * knows them, for the row-by-row writes: each play is stored with its codes, so the training scan reads
 * numbers instead of joining names (issue 14). Read from the store on first use; a new id gets the next code,
 * and its entry goes into the store in the same transaction as the play that brought it (takeNew). One process
 * writes a store and its writes queue on one connection, so the next code is known here; a write that fails
 * leaves these maps ahead of the store, and the store then forgets them (read again when next needed), as it
 * does after the bulk path, which gives codes in SQL.
 */
export class PlayCodes {
  private constructor(
    private readonly users: CodeBook,
    private readonly items: CodeBook,
  ) {}

  static async read(conn: DuckDBConnection): Promise<PlayCodes> {
    const book = async (table: string, id: string, code: string) => {
      const r = await conn.runAndReadAll(`SELECT ${id}, ${code} FROM ${table}`);
      const [ids, codes] = r.getColumns() as [string[] | undefined, number[] | undefined];
      const b = new CodeBook();
      for (let k = 0; k < (ids?.length ?? 0); k++) b.know((ids as string[])[k], (codes as number[])[k]);
      return b;
    };
    return new PlayCodes(
      await book("user_codes", "user_id", "user_code"),
      await book("item_codes", "item_id", "item_code"),
    );
  }

  user(id: string): number {
    return this.users.codeOf(id);
  }

  item(id: string): number {
    return this.items.codeOf(id);
  }

  /** The codes given since the last call, for the write under way to store as (code, id), and forgets them. */
  takeNew(): { users: [number, string][]; items: [number, string][] } {
    return { users: this.users.given.splice(0), items: this.items.given.splice(0) };
  }
}

/** One kind's codes: the next is one more than the largest known (dense from 0, as every path gives them). */
class CodeBook {
  private readonly codes = new Map<string, number>();
  private next = 0;
  readonly given: [number, string][] = [];

  know(id: string, code: number): void {
    this.codes.set(id, code);
    if (code >= this.next) this.next = code + 1;
  }

  codeOf(id: string): number {
    let code = this.codes.get(id);
    if (code === undefined) {
      code = this.next++;
      this.codes.set(id, code);
      this.given.push([code, id]);
    }
    return code;
  }
}
