import { Client } from 'pg';
import { assertIdentifier } from './database';

/** The services that own a schema; each gets a role of the same name with `vigil_` in front. */
export const SERVICE_SCHEMAS = ['gateway', 'ingest', 'detection', 'incident', 'notification', 'reporting'] as const;
export type ServiceSchema = (typeof SERVICE_SCHEMAS)[number];

export function serviceRole(schema: string): string {
  return `vigil_${schema}`;
}

export interface ProvisionOptions {
  /** Superuser (or CREATEROLE + CREATEDB) URL, any database. */
  adminUrl: string;
  database: string;
  schemas?: readonly string[];
  /** Password per role; trust-auth machines may omit it. */
  passwordFor?: (schema: string) => string | undefined;
}

const quoteLiteral = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * Creates (idempotently) the database, one role per service and one schema per service owned by that
 * role. No role is granted anything on another's schema and PUBLIC loses its defaults, so a service
 * that tries to read another's tables is refused by PostgreSQL itself.
 */
export async function provisionDatabase(opts: ProvisionOptions): Promise<void> {
  assertIdentifier(opts.database);
  const schemas = opts.schemas ?? SERVICE_SCHEMAS;
  const admin = new Client({ connectionString: opts.adminUrl });
  await admin.connect();
  try {
    const exists = await admin.query('select 1 from pg_database where datname = $1', [opts.database]);
    if (exists.rowCount === 0) await admin.query(`create database ${opts.database}`);
    for (const schema of schemas) {
      assertIdentifier(schema);
      const role = serviceRole(schema);
      const password = opts.passwordFor?.(schema);
      // Roles are cluster-wide; concurrent provisioning (parallel test files) may race on creation.
      await admin.query(
        `do $$ begin
           create role ${role} login;
         exception when duplicate_object or unique_violation then null;
         end $$`,
      );
      if (password) await admin.query(`alter role ${role} password ${quoteLiteral(password)}`);
    }
  } finally {
    await admin.end();
  }

  const url = new URL(opts.adminUrl);
  url.pathname = `/${opts.database}`;
  const db = new Client({ connectionString: url.toString() });
  await db.connect();
  try {
    await db.query('revoke all on schema public from public');
    await db.query(`revoke all on database ${opts.database} from public`);
    for (const schema of schemas) {
      const role = serviceRole(schema);
      await db.query(`grant connect, temporary on database ${opts.database} to ${role}`);
      await db.query(`create schema if not exists ${schema} authorization ${role}`);
      await db.query(`revoke all on schema ${schema} from public`);
    }
  } finally {
    await db.end();
  }
}

/** Connection URL for a service role on the same server as `baseUrl`. */
export function serviceDatabaseUrl(baseUrl: string, database: string, schema: string, password?: string): string {
  const url = new URL(baseUrl);
  url.username = serviceRole(schema);
  url.password = password ?? '';
  url.pathname = `/${database}`;
  return url.toString();
}
