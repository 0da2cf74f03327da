import { randomUUID } from 'node:crypto';
import { createDatabase, migrateToLatest, type Database } from '@vigil/db';
import { createTestDatabase, type TestDatabase } from '@vigil/testing';
import { migrations } from '../src/db/migrations';
import type { IncidentDatabase } from '../src/db/schema';
import { IncidentRepository } from '../src/incidents/incident.repository';
import { TimelineVerifier } from '../src/timeline/timeline-verifier';

/**
 * Incidents written before the lifecycle migration stay valid after it: their detection time becomes
 * discovery, their severity the baseline, and their old timeline entries are chained so verify passes.
 */
let tdb: TestDatabase;
let database: Database<IncidentDatabase>;

beforeAll(async () => {
  tdb = await createTestDatabase({ schemas: ['incident'] });
  database = createDatabase<IncidentDatabase>({ url: tdb.urlFor('incident'), schema: 'incident' });
});

afterAll(async () => {
  await database?.close();
  await tdb?.drop();
});

it('chains and completes incidents written before the lifecycle', async () => {
  const before = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '20261205T000000'));
  await migrateToLatest(database.db, 'incident', before);
  const org = randomUUID();
  const id = randomUUID();
  await tdb.query(
    `insert into incident.incidents (id, org_id, number, title, description, category, severity, status, correlation_key, detected_at, origin)
     values ($1, $2, 'INC-20261201-0001', 'Brute force', '5 failed logins', 'brute_force', 'medium', 'investigating', 'brute_force.ip:203.0.113.7', '2026-12-01T10:05:00Z', '{"ruleId":"brute_force.ip","eventCount":5}')`,
    [id, org],
  );
  await tdb.query(`insert into incident.incident_detections (org_id, detection_id, incident_id) values ($1, $2, $3), ($1, $4, $3)`, [org, randomUUID(), id, randomUUID()]);
  await tdb.query(
    `insert into incident.incident_timeline (incident_id, org_id, at, kind, detail) values
       ($1, $2, '2026-12-01T10:05:01Z', 'incident.created', '{"status":"investigating"}'),
       ($1, $2, '2026-12-01T10:30:00Z', 'detection.correlated', '{"count":7,"ruleId":"brute_force.ip"}')`,
    [id, org],
  );

  await migrateToLatest(database.db, 'incident', migrations);

  const [row] = await tdb.query<Record<string, unknown>>('select * from incident.incidents where id = $1', [id]);
  expect(row).toMatchObject({
    discovered_at: new Date('2026-12-01T10:05:00Z'),
    severity: 'medium',
    severity_computed: 'medium',
    severity_baseline: 'medium',
    origin_kind: 'detection',
    trigger_count: 2,
    timeline_seq: 2,
    drill: false,
  });
  const verifier = new TimelineVerifier(new IncidentRepository(database));
  expect(await verifier.verify(org, id)).toEqual({ intact: true, checked: 2 });
});

it('gives tasks written before playbook templates the seed clock of their phase, so discovery corrections still move them', async () => {
  const tdb2 = await createTestDatabase({ schemas: ['incident'] });
  const database2 = createDatabase<IncidentDatabase>({ url: tdb2.urlFor('incident'), schema: 'incident' });
  try {
    await migrateToLatest(database2.db, 'incident', Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '20261220T000000')));
    const id = randomUUID();
    await tdb2.query(
      `insert into incident.incidents (id, org_id, number, title, description, category, severity, severity_computed, status, detected_at, origin, discovered_at, created_by)
       values ($1, $2, 'INC-20261201-0001', 'Laptop lost', '', 'other', 'low', 'low', 'investigating', '2026-12-01T10:00:00Z', '{}', '2026-12-01T10:00:00Z', '{"type":"service","id":"incident"}')`,
      [id, randomUUID()],
    );
    await tdb2.query(
      `insert into incident.incident_tasks (id, incident_id, org_id, position, phase, title, due_at)
       select gen_random_uuid(), $1, org_id, p.position, p.phase, p.phase, null from incident.incidents,
              unnest(array['detection', 'containment', 'assessment', 'notification', 'remediation', 'closure']) with ordinality as p(phase, position) where id = $1`,
      [id],
    );
    await migrateToLatest(database2.db, 'incident', migrations);
    const repo = new IncidentRepository(database2);
    await database2.db.transaction().execute((tx) => repo.shiftOpenTaskDeadlines(tx, id, new Date('2026-12-02T10:00:00Z')));
    const tasks = await tdb2.query<{ phase: string; due_after_hours: number | null; due_at: Date | null }>('select phase, due_after_hours, due_at from incident.incident_tasks where incident_id = $1 order by position', [id]);
    expect(tasks.map((t) => [t.phase, t.due_after_hours, t.due_at?.toISOString() ?? null])).toEqual([
      ['detection', 1, '2026-12-02T11:00:00.000Z'],
      ['containment', 4, '2026-12-02T14:00:00.000Z'],
      ['assessment', 24, '2026-12-03T10:00:00.000Z'],
      ['notification', 72, '2026-12-05T10:00:00.000Z'],
      ['remediation', null, null],
      ['closure', null, null],
    ]);
  } finally {
    await database2.close();
    await tdb2.drop();
  }
});
