#!/usr/bin/env node
/**
 * Vigil admin CLI (gateway's database, gateway's role).
 *   vigil org create --name <name> --admin-email <email> [--admin-email <email> ...]
 * Prints the organisation id and its first admin API key, once: only the key's hash is stored.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { createDatabase, migrateToLatest } from '@vigil/db';
import { loadConfig } from '@vigil/platform';
import type { GatewayDatabase } from './db/schema';
import { migrations } from './db/migrations';
import { OrgRepository } from './auth/org.repository';
import { scopes } from './auth/api-key';

const usage = 'usage: vigil org create --name <name> --admin-email <email> [--admin-email <email> ...]';

async function main(argv: string[]): Promise<number> {
  const [noun, verb, ...rest] = argv;
  if (noun !== 'org' || verb !== 'create') {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const { values } = parseArgs({ args: rest, options: { name: { type: 'string' }, 'admin-email': { type: 'string', multiple: true } }, strict: true });
  const input = z
    .object({ name: z.string().trim().min(1).max(200), adminEmails: z.array(z.email({ error: 'not an email address' })).min(1, 'at least one --admin-email is required') })
    .safeParse({ name: values.name, adminEmails: (values['admin-email'] ?? []).map((e) => e.trim().toLowerCase()) });
  if (!input.success) {
    process.stderr.write(`${input.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('\n')}\n${usage}\n`);
    return 2;
  }
  const config = loadConfig(z.object({ DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }) }), process.env, 'vigil');
  const database = createDatabase<GatewayDatabase>({ url: config.DATABASE_URL, schema: 'gateway', poolSize: 1 });
  try {
    await migrateToLatest(database.db, 'gateway', migrations);
    const org = await new OrgRepository(database).createOrg({ name: input.data.name, adminRecipients: input.data.adminEmails, scopes });
    process.stdout.write(
      [
        `organisation: ${org.orgId} (${input.data.name})`,
        `admin alert recipients: ${input.data.adminEmails.join(', ')}`,
        `api key: ${org.key}`,
        'Store the key now: it is shown once and only its hash is kept.',
        '',
      ].join('\n'),
    );
    return 0;
  } finally {
    await database.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`vigil: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
