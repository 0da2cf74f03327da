import { randomBytes } from 'node:crypto';
import { Client, Pool, type QueryResultRow } from 'pg';
import { provisionDatabase, serviceDatabaseUrl } from '@vigil/db';
import { dockerReachable } from './docker';

const LOCAL_ADMIN_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

let adminUrl: Promise<string> | undefined;

/**
 * Superuser URL of the PostgreSQL the tests use: VIGIL_TEST_PG_ADMIN_URL, PG_ADMIN_URL, the local
 * server on 127.0.0.1:5432, or (only when Docker is reachable) a postgres:15 container. Resolved
 * once per process.
 */
export function resolvePostgresAdminUrl(): Promise<string> {
  adminUrl ??= resolveAdminUrl().catch((err: unknown) => {
    adminUrl = undefined; // let a later call retry, e.g. after the server came up
    throw err;
  });
  return adminUrl;
}

async function resolveAdminUrl(): Promise<string> {
  const fromEnv = process.env.VIGIL_TEST_PG_ADMIN_URL || process.env.PG_ADMIN_URL;
  if (fromEnv) return fromEnv;

  const localError = await tryConnect(LOCAL_ADMIN_URL);
  if (localError === undefined) return LOCAL_ADMIN_URL;

  if (await dockerReachable()) return startPostgresContainer();

  throw new Error(
    `No PostgreSQL for the tests: ${LOCAL_ADMIN_URL} refused (${localError.message}) and no Docker engine is reachable. ` +
      'Start PostgreSQL 15 on 127.0.0.1:5432 with trust authentication for the superuser "postgres" ' +
      '(on Debian, `npm test` installs and starts it), or set VIGIL_TEST_PG_ADMIN_URL to a superuser URL ' +
      '(e.g. postgres://postgres:secret@127.0.0.1:5433/postgres).',
  );
}

async function tryConnect(url: string): Promise<Error | undefined> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return undefined;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function startPostgresContainer(): Promise<string> {
  const { GenericContainer, Wait } = await import('testcontainers');
  // The Ryuk reaper removes the container when this process ends.
  const container = await new GenericContainer('postgres:15')
    .withEnvironment({ POSTGRES_HOST_AUTH_METHOD: 'trust' })
    .withExposedPorts(5432)
    // The entrypoint's temporary server logs "ready" once before the real one starts.
    .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
    .start();
  return `postgres://postgres@${container.getHost()}:${container.getMappedPort(5432)}/postgres`;
}

export interface TestDatabase {
  /** `vigil_t_<pid>_<hex>`. */
  name: string;
  /** Superuser URL pointing at this database. */
  adminUrl: string;
  /** URL of the service role (`vigil_<schema>`) for this database, without password. */
  urlFor(schema: string): string;
  /** Runs `sql` as superuser on this database and returns the rows. */
  query<T extends QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Terminates every connection to the database and drops it. Idempotent. */
  drop(): Promise<void>;
}

export interface CreateTestDatabaseOptions {
  /** Schemas (and `vigil_<schema>` roles) to provision; default all service schemas. */
  schemas?: readonly string[];
  /**
   * Superuser URL of the server to create it on (e.g. a private cluster from startPrivatePostgres);
   * default: the one resolvePostgresAdminUrl() finds.
   */
  serverAdminUrl?: string;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** A fresh, uniquely named database provisioned like production: one schema and role per service. */
export async function createTestDatabase(opts: CreateTestDatabaseOptions = {}): Promise<TestDatabase> {
  const serverAdminUrl = opts.serverAdminUrl ?? (await resolvePostgresAdminUrl());
  const name = `vigil_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  await provisionDatabase({ adminUrl: serverAdminUrl, database: name, schemas: opts.schemas });
  const dbAdminUrl = withDatabase(serverAdminUrl, name);

  let pool: Pool | undefined;
  let dropped: Promise<void> | undefined;

  const getPool = (): Pool => {
    if (dropped) throw new Error(`test database ${name} has been dropped`);
    if (!pool) {
      pool = new Pool({ connectionString: dbAdminUrl, max: 2, idleTimeoutMillis: 5000 });
      // An idle client killed by drop() (or the server) must not crash the worker.
      pool.on('error', () => undefined);
    }
    return pool;
  };

  const drop = async (): Promise<void> => {
    const p = pool;
    pool = undefined;
    await p?.end().catch(() => undefined);
    // The maintenance database named in the admin URL: we cannot drop the one we are connected to.
    const admin = new Client({ connectionString: serverAdminUrl });
    admin.on('error', () => undefined);
    await admin.connect();
    try {
      await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [name]);
      await admin.query(`drop database if exists ${name} with (force)`);
    } finally {
      await admin.end().catch(() => undefined);
    }
  };

  return {
    name,
    adminUrl: dbAdminUrl,
    urlFor: (schema: string) => serviceDatabaseUrl(serverAdminUrl, name, schema),
    async query<T extends QueryResultRow = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]> {
      const result = await getPool().query<T>(sql, params);
      return result.rows;
    },
    drop() {
      dropped ??= drop().catch((err: unknown) => {
        dropped = undefined; // allow a retry
        throw err;
      });
      return dropped;
    },
  };
}
