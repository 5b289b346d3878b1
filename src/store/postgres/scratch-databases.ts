import pg from "pg";

/**
 * Throwaway stores on a PostgreSQL server, for tests and benchmarks: the first `create()` makes a new,
 * uniquely named database, and each `create()` hands out a new empty schema in it (a URL whose
 * search_path names it), since a CREATE DATABASE costs about a second on a busy machine. `dropAll()`
 * drops the database. The server is the one TASTEBUD_TEST_POSTGRES names (a URL of a database to connect
 * to for CREATE/DROP DATABASE), by default the local one CI and the developers' machines run.
 */
export class ScratchDatabases {
  private database: Promise<string> | null = null;
  private schemas = 0;
  readonly name = `tastebud_scratch_${process.pid}_${Date.now().toString(36)}`;

  constructor(readonly adminUrl = defaultAdminUrl()) {}

  /** Why the server cannot be used (unreachable, no right to create databases), or null when it can. */
  async unavailable(): Promise<string | null> {
    const client = new pg.Client({ connectionString: this.adminUrl, connectionTimeoutMillis: 5_000 });
    try {
      await client.connect();
      const r = await client.query(
        "SELECT rolcreatedb OR rolsuper AS ok FROM pg_roles WHERE rolname = current_user",
      );
      return r.rows[0]?.ok ? null : `role cannot create databases on ${redacted(this.adminUrl)}`;
    } catch (err) {
      return `PostgreSQL unreachable at ${redacted(this.adminUrl)}: ${(err as Error).message}`;
    } finally {
      await client.end().catch(() => {});
    }
  }

  /** A new empty store: the URL of a fresh schema in this run's database. */
  async create(): Promise<string> {
    this.database ??= this.admin(this.adminUrl, `CREATE DATABASE ${this.name}`).then(() => {
      const url = new URL(this.adminUrl);
      url.pathname = `/${this.name}`;
      return url.toString();
    });
    const database = await this.database;
    const schema = `store_${this.schemas++}`;
    await this.admin(database, `CREATE SCHEMA ${schema}`);
    const url = new URL(database);
    url.searchParams.set("options", `-c search_path=${schema}`);
    return url.toString();
  }

  /** Drops this run's database (connections still open to it are ended by the server). */
  async dropAll(): Promise<void> {
    if (!this.database) return;
    await this.database.catch(() => {});
    this.database = null;
    await this.admin(this.adminUrl, `DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`);
  }

  /** Drops a database a test made some other way (say, by opening a store on a new name). */
  async dropDatabase(name: string): Promise<void> {
    await this.admin(this.adminUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }

  private async admin(url: string, sql: string): Promise<void> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  }
}

export function defaultAdminUrl(): string {
  return process.env.TASTEBUD_TEST_POSTGRES ?? "postgres://postgres@127.0.0.1:5432/postgres";
}

function redacted(url: string): string {
  return url.replace(/:[^:@/]*@/, ":***@");
}
