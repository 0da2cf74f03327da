import { z } from 'zod';
import { createDatabase, migrateToLatest } from '@vigil/db';
import { loadConfig } from './config';
import type { ServiceOptions } from './runtime';

/** `node dist/migrate.js`: applies a service's migrations with its own role, then exits. */
export function runMigrateCommand(opts: Pick<ServiceOptions, 'service' | 'schema' | 'migrations'>): void {
  const config = loadConfig(z.object({ DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }) }), process.env, opts.service);
  const database = createDatabase({ url: config.DATABASE_URL, schema: opts.schema, poolSize: 1 });
  migrateToLatest(database.db, opts.schema, opts.migrations)
    .then((applied) => {
      process.stdout.write(`${opts.service}: ${applied.length ? `applied ${applied.join(', ')}` : 'schema up to date'}\n`);
    })
    .catch((err: unknown) => {
      process.stderr.write(`${opts.service}: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 1;
    })
    .finally(() => database.close());
}
