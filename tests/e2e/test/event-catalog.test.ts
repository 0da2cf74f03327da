import {
  accessDeniedExample,
  accountMfaDisabledExample,
  accountMfaEnabledExample,
  accountPasswordChangedExample,
  adminActionExample,
  credentialExposedExample,
  dataExportExample,
  deriveId,
  eventSubject,
  streams,
  thirdPartySharedExample,
} from '@vigil/contracts';
import { waitFor } from '@vigil/testing';
import { TestStack, type TestOrg } from '../src';

/**
 * Event catalog v1 end to end (gateway + ingest as real processes, real NATS and PostgreSQL): every new
 * producer type is stored by ingest and published on `<type>.<org>` into VIGIL_SECURITY, and Vigil's own
 * admin calls come back through the same pipeline as admin.action events.
 */
describe('event catalog v1: stored, published, and Vigil audits its own admins', () => {
  let stack: TestStack;
  let org: TestOrg;

  beforeAll(async () => {
    stack = await TestStack.start({ services: ['gateway', 'ingest'] });
    org = await stack.createOrg('Acme', ['sec@acme.test']);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  const source = 'https://app.acme.test';
  const batch = [
    ['admin.action', adminActionExample],
    ['data.export', dataExportExample],
    ['access.denied', accessDeniedExample],
    ['thirdparty.shared', thirdPartySharedExample],
    ['credential.exposed', credentialExposedExample],
    ['account.password_changed', accountPasswordChangedExample],
    ['account.mfa_enabled', accountMfaEnabledExample],
    ['account.mfa_disabled', accountMfaDisabledExample],
  ] as const;

  it('stores one event of each new type in ingest.raw_events and publishes each on <type>.<org> in VIGIL_SECURITY', async () => {
    const events = batch.map(([type, data], i) => ({ specversion: '1.0', id: `catalog-${i}`, source, type, time: new Date().toISOString(), data }));
    const res = await stack.api('/v1/events', { key: org.key, body: events });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ accepted: batch.length, rejected: 0 });

    const stored = await waitFor(
      async () => {
        const rows = await stack.db.query<{ type: string; event_id: string; data: unknown }>(
          "select type, event_id, envelope->'data' as data from ingest.raw_events where org_id = $1 and source = $2",
          [org.orgId, source],
        );
        return rows.length === batch.length ? rows : undefined;
      },
      { timeoutMs: 30_000, description: 'every new event type to be stored' },
    );
    for (const [i, [type, data]] of batch.entries()) {
      const row = stored.find((r) => r.type === type);
      expect(row).toEqual({ type, event_id: deriveId(org.orgId, source, `catalog-${i}`), data });
    }

    const jsm = await (await stack.natsConnection()).jetstreamManager();
    for (const [i, [type]] of batch.entries()) {
      const msg = await waitFor(
        async () => jsm.streams.getMessage(streams.security.name, { last_by_subj: eventSubject(type, org.orgId) }).catch(() => undefined),
        { timeoutMs: 30_000, description: `a ${type} message in VIGIL_SECURITY` },
      );
      // ingest publishes each stored request's events of a type as one CloudEvents batch.
      expect([msg.json<unknown>()].flat()).toEqual([expect.objectContaining({ id: deriveId(org.orgId, source, `catalog-${i}`), type })]);
    }
  }, 90_000);

  it('turns an admin call (GET /v1/dead-letters) into one admin.action event for that org, stored by ingest', async () => {
    const before = await stack.count("select count(*) as n from ingest.raw_events where org_id = $1 and type = 'admin.action' and source = 'vigil://gateway'", [org.orgId]);
    const res = await stack.api('/v1/dead-letters', { key: org.key });
    expect(res.status).toBe(200);
    const rows = await waitFor(
      async () => {
        const r = await stack.db.query<{ data: Record<string, unknown> }>(
          "select envelope->'data' as data from ingest.raw_events where org_id = $1 and type = 'admin.action' and source = 'vigil://gateway' order by seq",
          [org.orgId],
        );
        return r.length > before ? r : undefined;
      },
      { timeoutMs: 30_000, description: 'the admin.action event to be stored' },
    );
    const [audit] = await stack.db.query<{ api_key_id: string }>("select api_key_id from gateway.audit_log where org_id = $1 and route = '/v1/dead-letters' order by id desc limit 1", [org.orgId]);
    expect(rows.at(-1)!.data).toMatchObject({ adminId: audit!.api_key_id, action: 'GET /v1/dead-letters', target: { type: 'dead-letters' }, status: 200 });

    // Exactly one per audit row: once everything has been relayed and ingested, no second copy appears.
    await stack.settle();
    expect(await stack.count("select count(*) as n from ingest.raw_events where org_id = $1 and type = 'admin.action' and source = 'vigil://gateway'", [org.orgId])).toBe(before + 1);
  }, 90_000);
});
