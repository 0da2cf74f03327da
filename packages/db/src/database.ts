import { Kysely, PostgresDialect, type Transaction } from 'kysely';
import { Pool, type PoolConfig } from 'pg';

export interface DatabaseOptions {
  /** postgres:// URL of the service's own role. */
  url: string;
  /** The service's schema; becomes the connection's search_path so queries name tables plainly. */
  schema: string;
  poolSize?: number;
  applicationName?: string;
}

export interface Database<DB> {
  db: Kysely<DB>;
  pool: Pool;
  close(): Promise<void>;
}

export function createDatabase<DB>(opts: DatabaseOptions): Database<DB> {
  assertIdentifier(opts.schema);
  const config: PoolConfig = {
    connectionString: opts.url,
    max: opts.poolSize ?? 10,
    application_name: opts.applicationName ?? `vigil-${opts.schema}`,
    // Only the service's schema is on the path: another schema's table can't be reached by accident.
    options: `-c search_path=${opts.schema}`,
  };
  const pool = new Pool(config);
  // An idle client that loses its connection must not crash the process; the pool replaces it.
  pool.on('error', () => undefined);
  // A checked-out client whose server dies (PostgreSQL crash or restart) emits 'error' too, and pg-pool
  // listens only while it is idle: without this, the unhandled event kills the process. The query in
  // flight still fails, and the pool drops the broken client when it is released.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    pool,
    close: async () => {
      await db.destroy();
    },
  };
}

/** Either the root handle or an open transaction: lets repositories join a caller's transaction (inbox, outbox). */
export type DbOrTx<DB> = Kysely<DB> | Transaction<DB>;

export function executeTx<DB, T>(db: DbOrTx<DB>, fn: (tx: Transaction<DB>) => Promise<T>): Promise<T> {
  if (db.isTransaction) return fn(db as Transaction<DB>);
  return db.transaction().execute(fn);
}

export function assertIdentifier(name: string): void {
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(name)) throw new Error(`not a safe SQL identifier: ${name}`);
}

/** Is PostgreSQL reachable with this handle right now? Used by /readyz. */
export async function pingDatabase(pool: Pool): Promise<void> {
  await pool.query('select 1');
}
