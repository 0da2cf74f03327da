import { Migrator, type Kysely, type Migration, type MigrationResultSet } from 'kysely';

export type MigrationSet = Record<string, Migration>;

/**
 * Applies a service's migrations (statically imported, so they ship inside the compiled service).
 * Kysely's PostgreSQL adapter holds an advisory lock while migrating, so replicas starting together
 * are safe. The bookkeeping tables live in the service's own schema.
 */
export async function migrateToLatest(db: Kysely<any>, schema: string, migrations: MigrationSet): Promise<string[]> {
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableSchema: schema,
  });
  const result: MigrationResultSet = await migrator.migrateToLatest();
  if (result.error) {
    const failed = result.results?.find((r) => r.status === 'Error');
    const cause = result.error instanceof Error ? result.error.message : String(result.error);
    throw new Error(`migration ${failed?.migrationName ?? '(unknown)'} failed in schema ${schema}: ${cause}`);
  }
  return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/** Migration names sort by their YYYYMMDDTHHmmss prefix; merging sets keeps that order. */
export function mergeMigrations(...sets: MigrationSet[]): MigrationSet {
  const merged: MigrationSet = {};
  for (const set of sets) {
    for (const [name, m] of Object.entries(set)) {
      if (merged[name]) throw new Error(`duplicate migration name ${name}`);
      merged[name] = m;
    }
  }
  return merged;
}
