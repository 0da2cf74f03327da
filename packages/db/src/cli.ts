#!/usr/bin/env node
/**
 * vigil-db provision: creates the database, one role and one schema per service (idempotent).
 *   PG_ADMIN_URL  superuser URL (default postgres://postgres@127.0.0.1:5432/postgres)
 *   VIGIL_DB      database name (default vigil)
 *   VIGIL_DB_PASSWORD_<SERVICE>  optional password per service role, e.g. VIGIL_DB_PASSWORD_INCIDENT
 */
import { provisionDatabase, SERVICE_SCHEMAS } from './provision';

async function main(): Promise<void> {
  const [command] = process.argv.slice(2);
  if (command !== 'provision') {
    process.stderr.write('usage: vigil-db provision\n');
    process.exit(2);
  }
  const adminUrl = process.env.PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const database = process.env.VIGIL_DB ?? 'vigil';
  await provisionDatabase({
    adminUrl,
    database,
    passwordFor: (schema) => process.env[`VIGIL_DB_PASSWORD_${schema.toUpperCase()}`] || undefined,
  });
  process.stdout.write(`provisioned database ${database}: schemas and roles for ${SERVICE_SCHEMAS.join(', ')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`vigil-db: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
