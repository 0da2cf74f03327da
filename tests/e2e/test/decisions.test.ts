import { eventSubject, streams } from '@vigil/contracts';
import { publishRaw } from '@vigil/messaging';
import { FakeHibp, waitFor } from '@vigil/testing';
import { TestStack, loginFailed, type TestOrg } from '../src';

/**
 * Response decisions and the breach feed end to end: gateway -> ingest -> detection (brute force ->
 * detection.triggered -> decision) and back out through the gateway's /v1/decisions, each service its
 * own process over a private NATS server and a fresh database; HIBP is a local server speaking its
 * documented v3 format.
 */
const MIN = 60_000;
const HOUR = 60 * MIN;
const WAIT = { timeoutMs: 60_000, intervalMs: 200 };

describe('response decisions and breach feed (gateway, ingest, detection)', () => {
  let stack: TestStack;
  let hibp: FakeHibp;
  const hibpEnv = () => ({ VIGIL_HIBP_API_KEY: 'hibp-e2e-key', VIGIL_HIBP_BASE_URL: hibp.url, VIGIL_HIBP_POLL_SECONDS: '1', VIGIL_HIBP_REQUEST_INTERVAL_MS: '0' });

  beforeAll(async () => {
    hibp = await FakeHibp.start('hibp-e2e-key');
    stack = await TestStack.start({ services: ['gateway', 'ingest', 'detection'], env: { detection: hibpEnv() } });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await hibp?.stop();
  });

  /** `username`: the account tried (default: one per IP, so only the IP rule fires). */
  async function attack(org: TestOrg, ip: string, at: number, username?: string) {
    // 5 failures within a minute ending at `at`: one brute_force.ip detection whose time is `at`.
    const events = Array.from({ length: 5 }, (_, i) => loginFailed(ip, { at: new Date(at - (4 - i) * 10_000), username }));
    const res = await stack.api('/v1/events', { key: org.key, body: events });
    expect(res.status).toBe(202);
  }

  async function decisionsOf(org: TestOrg, query = ''): Promise<any[]> {
    const res = await stack.api(`/v1/decisions${query}`, { key: org.key });
    expect(res.status).toBe(200);
    return res.body.items;
  }

  async function waitForDecisions(org: TestOrg, n: number): Promise<any[]> {
    let items: any[] = [];
    await waitFor(async () => (items = await decisionsOf(org)).length >= n, { ...WAIT, description: `${n} decision(s)` });
    return items;
  }

  async function keyWith(org: TestOrg, scopes: string[]): Promise<string> {
    const res = await stack.api('/v1/api-keys', { key: org.key, body: { name: scopes.join('+'), scopes } });
    expect(res.status).toBe(201);
    return res.body.secret;
  }

  async function streamCount(subject: string): Promise<number> {
    const jsm = await (await stack.natsConnection()).jetstreamManager();
    const info = await jsm.streams.info(streams.decisions.name, { subjects_filter: subject });
    return info.state.subjects?.[subject] ?? 0;
  }

  it('turns a brute force into one block_ip decision, once even when detection.triggered is redelivered 3 times', async () => {
    const org = await stack.createOrg('Blocker', ['sec@blocker.test']);
    const at = Date.now() - MIN;
    await attack(org, '203.0.113.7', at);
    const [decision] = await waitForDecisions(org, 1);
    expect(decision).toMatchObject({ orgId: org.orgId, kind: 'block_ip', target: '203.0.113.7', ruleId: 'brute_force.ip', durationSeconds: 3600, repeatCount: 0, revokedAt: null });
    expect(Date.parse(decision.createdAt)).toBe(at);
    expect(Date.parse(decision.expiresAt) - Date.parse(decision.createdAt)).toBe(HOUR);

    // The detection as JetStream holds it, republished under fresh message ids (past JetStream's dedup):
    // only detection's inbox stands between these copies and a second decision.
    const nc = await stack.natsConnection();
    const subject = eventSubject('detection.triggered', org.orgId);
    const stored = await (await nc.jetstreamManager()).streams.getMessage(streams.detections.name, { last_by_subj: subject });
    expect(stored.json<{ id: string }>().id).toBe(decision.detectionId);
    for (const copy of ['a', 'b', 'c']) await publishRaw(nc.jetstream(), subject, `${decision.detectionId}:${copy}`, stored.data);
    await stack.settle();

    expect((await decisionsOf(org)).map((d) => d.id)).toEqual([decision.id]);
    expect(await stack.count('select count(*) as n from detection.decisions where org_id = $1', [org.orgId])).toBe(1);
    expect(await stack.count("select count(*) as n from detection.inbox where consumer = 'detection-decisions' and event_id = $1", [decision.detectionId])).toBe(1);
    expect(await streamCount(eventSubject('decision.created', org.orgId))).toBe(1);
    expect((await stack.api(`/v1/decisions/${decision.id}`, { key: org.key })).body).toEqual(decision);

    // The login service's hot path.
    const hit = await stack.api('/v1/decisions/check?ip=203.0.113.7&account=alice@example.test', { key: org.key });
    expect(hit.body).toEqual({ blocked: true, decisions: [decision] });
    expect((await stack.api('/v1/decisions/check?ip=203.0.113.8', { key: org.key })).body).toEqual({ blocked: false, decisions: [] });
  });

  it('lets a decisions:read key poll and check but not revoke or touch the watchlist; other keys get 403', async () => {
    const org = await stack.createOrg('Scopes', ['sec@scopes.test']);
    await attack(org, '192.0.2.77', Date.now() - MIN);
    const [decision] = await waitForDecisions(org, 1);
    const reader = await keyWith(org, ['decisions:read']);
    const producer = await keyWith(org, ['events:write', 'incidents:read']);

    expect((await stack.api('/v1/decisions', { key: reader })).body.items).toHaveLength(1);
    expect((await stack.api(`/v1/decisions/${decision.id}`, { key: reader })).status).toBe(200);
    expect((await stack.api('/v1/decisions/check?ip=192.0.2.77', { key: reader })).body.blocked).toBe(true);
    for (const [path, init] of [
      [`/v1/decisions/${decision.id}/revoke`, { body: { reason: 'no' } }],
      ['/v1/decisions/policy', {}],
      ['/v1/watchlist', {}],
    ] as const) {
      const res = await stack.api(path, { key: reader, ...init });
      expect({ path, status: res.status, type: res.contentType }).toEqual({ path, status: 403, type: expect.stringContaining('application/problem+json') });
    }
    for (const path of ['/v1/decisions', `/v1/decisions/${decision.id}`, '/v1/decisions/check?ip=192.0.2.77']) {
      expect({ path, status: (await stack.api(path, { key: producer })).status }).toEqual({ path, status: 403 });
    }
    expect((await stack.api('/v1/decisions')).status).toBe(401);
  });

  it('doubles the duration for a repeat offender, and an expired decision is listed but no longer in force', async () => {
    const org = await stack.createOrg('Repeat', ['sec@repeat.test']);
    const now = Date.now();
    const ip = '198.51.100.9';
    // Three attacks two hours apart (each its own cluster): 1 h, 2 h, 4 h. Event times make the first two
    // already over, without waiting for a clock.
    const times = [now - 5 * HOUR, now - 3 * HOUR, now - HOUR];
    for (const [i, at] of times.entries()) {
      await attack(org, ip, at);
      await waitForDecisions(org, i + 1);
    }
    const all = await decisionsOf(org);
    expect(all.map((d) => [d.repeatCount, d.durationSeconds, Date.parse(d.createdAt)])).toEqual([
      [0, 3600, times[0]],
      [1, 7200, times[1]],
      [2, 14400, times[2]],
    ]);
    const active = await decisionsOf(org, '?active=true');
    expect(active.map((d) => d.id)).toEqual([all[2].id]);
    expect((await decisionsOf(org, '?active=false')).map((d) => d.id)).toEqual([all[0].id, all[1].id]);
    expect((await stack.api(`/v1/decisions/check?ip=${ip}`, { key: org.key })).body).toEqual({ blocked: true, decisions: [all[2]] });
    expect(all[1].reason).toContain('repeat offence 2');
  });

  it('revokes a decision once: no longer in force, in the change feed again, decision.revoked once, 409 the second time', async () => {
    const org = await stack.createOrg('Revoker', ['sec@revoker.test']);
    await attack(org, '203.0.113.99', Date.now() - 30 * MIN);
    const [decision] = await waitForDecisions(org, 1);
    const page = await stack.api('/v1/decisions', { key: org.key });
    const cursor = page.body.nextCursor;
    // Polling from the end: nothing new, same cursor.
    expect((await stack.api(`/v1/decisions?since=${cursor}`, { key: org.key })).body).toEqual({ items: [], nextCursor: cursor });

    const bad = await stack.api(`/v1/decisions/${decision.id}/revoke`, { key: org.key, body: {} });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ pointer: '/reason', message: expect.any(String) }]);

    const revoked = await stack.api(`/v1/decisions/${decision.id}/revoke`, { key: org.key, body: { reason: 'false positive: office NAT' } });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: decision.id, revokeReason: 'false positive: office NAT', revokedBy: expect.any(String) });
    expect(revoked.body.revokedAt).not.toBeNull();

    expect((await stack.api('/v1/decisions/check?ip=203.0.113.99', { key: org.key })).body).toEqual({ blocked: false, decisions: [] });
    const feed = await stack.api(`/v1/decisions?since=${cursor}`, { key: org.key });
    expect(feed.body.items).toEqual([revoked.body]);
    expect(Number(feed.body.nextCursor)).toBeGreaterThan(Number(cursor));

    const again = await stack.api(`/v1/decisions/${decision.id}/revoke`, { key: org.key, body: { reason: 'twice' } });
    expect(again.status).toBe(409);
    await stack.settle();
    expect(await streamCount(eventSubject('decision.revoked', org.orgId))).toBe(1);

    // The same IP attacking again is a first offence: a revoked decision was a mistake, not a record.
    await attack(org, '203.0.113.99', Date.now());
    const [, second] = await waitForDecisions(org, 2);
    expect(second).toMatchObject({ repeatCount: 0, durationSeconds: 3600 });
  });

  it("keeps organisations apart: another org's decision is a 404 to read or revoke, and never in its checks", async () => {
    const a = await stack.createOrg('Tenant A', ['a@tenant-a.test']);
    const b = await stack.createOrg('Tenant B', ['b@tenant-b.test']);
    await attack(a, '203.0.113.50', Date.now() - MIN);
    const [decision] = await waitForDecisions(a, 1);

    expect((await stack.api(`/v1/decisions/${decision.id}`, { key: b.key })).status).toBe(404);
    const revoke = await stack.api(`/v1/decisions/${decision.id}/revoke`, { key: b.key, body: { reason: 'hostile' } });
    expect(revoke.status).toBe(404);
    expect(revoke.contentType).toContain('application/problem+json');
    expect((await stack.api(`/v1/decisions/${decision.id}`, { key: a.key })).body.revokedAt).toBeNull();
    expect(await decisionsOf(b)).toEqual([]);
    expect((await stack.api('/v1/decisions/check?ip=203.0.113.50', { key: b.key })).body).toEqual({ blocked: false, decisions: [] });
    expect((await stack.api('/v1/decisions/check?ip=203.0.113.50', { key: a.key })).body.blocked).toBe(true);
  });

  it('pages the change feed with nextCursor and answers bad parameters with JSON pointers', async () => {
    const org = await stack.createOrg('Pager', ['sec@pager.test']);
    const ips = ['192.0.2.1', '192.0.2.2', '192.0.2.3'];
    for (const ip of ips) await attack(org, ip, Date.now() - MIN);
    await waitForDecisions(org, 3);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 4; i++) {
      const res = await stack.api(`/v1/decisions?limit=1${cursor ? `&since=${cursor}` : ''}`, { key: org.key });
      seen.push(...res.body.items.map((d: any) => d.target));
      cursor = res.body.nextCursor;
    }
    expect(seen.sort()).toEqual(ips);
    expect((await stack.api(`/v1/decisions?kind=block_ip&target=192.0.2.2`, { key: org.key })).body.items.map((d: any) => d.target)).toEqual(['192.0.2.2']);

    const bad = await stack.api('/v1/decisions?limit=0&kind=ban&since=abc&active=yes&color=red', { key: org.key });
    expect(bad.status).toBe(400);
    expect(bad.body.errors.map((e: any) => e.pointer).sort()).toEqual(['', '/active', '/kind', '/limit', '/since'].map((p) => p || '/').sort());
    const check = await stack.api('/v1/decisions/check?ip=999.1.1.1', { key: org.key });
    expect(check.status).toBe(400);
    expect(check.body.errors[0].pointer).toBe('/ip');
    expect((await stack.api('/v1/decisions/check', { key: org.key })).body.errors[0].pointer).toBe('/ip');
    expect((await stack.api('/v1/decisions/not-a-uuid', { key: org.key })).body.errors).toEqual([{ pointer: '/id', message: 'not a UUID' }]);
  });

  it('applies an org’s decision policy: validated with pointers, effective for the next detection', async () => {
    const org = await stack.createOrg('Policy', ['sec@policy.test']);
    const invalid = await stack.api('/v1/decisions/policy', { key: org.key, method: 'PUT', body: { rules: { 'brute_force.ip': [{ kind: 'ban', baseSeconds: 10, maxSeconds: 5 }] } } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors.map((e: any) => e.pointer).sort()).toEqual(['/rules/brute_force.ip/0/baseSeconds', '/rules/brute_force.ip/0/kind', '/rules/brute_force.ip/0/maxSeconds'].sort());

    const put = await stack.api('/v1/decisions/policy', { key: org.key, method: 'PUT', body: { rules: { 'brute_force.ip': [{ kind: 'block_ip', baseSeconds: 600, maxSeconds: 1200 }] } } });
    expect(put.status).toBe(200);
    expect(put.body.effective.rules['brute_force.ip']).toEqual([{ kind: 'block_ip', baseSeconds: 600, maxSeconds: 1200, minSeverity: 'low' }]);
    expect(put.body.effective.rules['brute_force.account']).toEqual(put.body.defaults.rules['brute_force.account']);
    await attack(org, '198.51.100.200', Date.now() - MIN);
    const [decision] = await waitForDecisions(org, 1);
    expect(decision.durationSeconds).toBe(600);

    // Switched off: the next attack decides nothing.
    expect((await stack.api('/v1/decisions/policy', { key: org.key, method: 'PUT', body: { rules: { 'brute_force.ip': [] } } })).status).toBe(200);
    await attack(org, '198.51.100.201', Date.now() - MIN);
    await stack.settle();
    expect(await decisionsOf(org)).toHaveLength(1);
    expect(await stack.count("select count(*) as n from detection.attacks where org_id = $1", [org.orgId])).toBe(2);
  });

  it('ends a force_password_reset when the platform reports the password changed after it, not before', async () => {
    const org = await stack.createOrg('Resetter', ['sec@resetter.test']);
    const policy = { rules: { 'brute_force.ip': [{ kind: 'block_ip', baseSeconds: 3600, maxSeconds: 3600 }, { kind: 'force_password_reset', baseSeconds: 86400, maxSeconds: 86400 }] } };
    expect((await stack.api('/v1/decisions/policy', { key: org.key, method: 'PUT', body: policy })).status).toBe(200);
    const at = Date.now() - 10 * MIN;
    await attack(org, '192.0.2.150', at, 'alice@example.test');
    const made = await waitForDecisions(org, 2);
    const reset = made.find((d) => d.kind === 'force_password_reset');
    expect(reset).toMatchObject({ target: 'alice@example.test', durationSeconds: 86400 });
    expect((await stack.api('/v1/decisions/check?account=Alice@Example.test', { key: org.key })).body).toEqual({ blocked: false, decisions: [reset] });

    const changed = (id: string, time: number) => ({
      specversion: '1.0',
      id,
      source: 'https://app.example.test/account',
      type: 'account.password_changed',
      time: new Date(time).toISOString(),
      data: { email: 'alice@example.test', method: 'reset_link' },
    });
    // Changed before the decision: not what it asked for.
    expect((await stack.api('/v1/events', { key: org.key, body: [changed('pw-before', at - MIN)] })).status).toBe(202);
    await stack.settle();
    expect((await stack.api(`/v1/decisions/${reset.id}`, { key: org.key })).body.revokedAt).toBeNull();

    expect((await stack.api('/v1/events', { key: org.key, body: [changed('pw-after', Date.now())] })).status).toBe(202);
    await waitFor(async () => (await stack.api(`/v1/decisions/${reset.id}`, { key: org.key })).body.revokedAt !== null, { ...WAIT, description: 'reset decision fulfilled' });
    const done = (await stack.api(`/v1/decisions/${reset.id}`, { key: org.key })).body;
    expect(done).toMatchObject({ revokedBy: 'vigil:account.password_changed', revokeReason: expect.stringContaining('fulfilled') });
    const check = await stack.api('/v1/decisions/check?ip=192.0.2.150&account=alice@example.test', { key: org.key });
    expect(check.body.decisions.map((d: any) => d.kind)).toEqual(['block_ip']);
    await stack.settle();
    expect(await streamCount(eventSubject('decision.revoked', org.orgId))).toBe(1);
  });

  /** Reads `GET /v1/decisions/stream` as Server-Sent Events until closed. */
  async function openStream(key: string, opts: { query?: string; lastEventId?: string } = {}) {
    const ctl = new AbortController();
    const res = await fetch(`${stack.gatewayUrl}/v1/decisions/stream${opts.query ?? ''}`, {
      headers: { authorization: `Bearer ${key}`, ...(opts.lastEventId ? { 'last-event-id': opts.lastEventId } : {}) },
      signal: ctl.signal,
    });
    const events: { event?: string; id?: string; data: any }[] = [];
    if (res.ok) {
      const reader = res.body!.getReader();
      const decoder = new TextDecoder();
      let buf = '';
      void (async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buf += decoder.decode(value, { stream: true });
          for (let i = buf.indexOf('\n\n'); i >= 0; i = buf.indexOf('\n\n')) {
            const fields = Object.fromEntries(buf.slice(0, i).split('\n').filter((l) => l && !l.startsWith(':')).map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]));
            buf = buf.slice(i + 2);
            if (fields.data !== undefined) events.push({ event: fields.event, id: fields.id, data: JSON.parse(fields.data) });
          }
        }
      })().catch(() => undefined);
    }
    return { res, events, close: () => ctl.abort() };
  }

  it('streams decisions as Server-Sent Events, per org, and resumes from Last-Event-ID', async () => {
    const a = await stack.createOrg('Streamer', ['sec@streamer.test']);
    const b = await stack.createOrg('Bystander', ['sec@bystander.test']);
    const producer = await keyWith(a, ['events:write']);
    expect((await openStream(producer)).res.status).toBe(403);
    const badSince = await openStream(a.key, { query: '?since=-1' });
    expect(badSince.res.status).toBe(400);
    expect(((await badSince.res.json()) as any).errors[0].pointer).toBe('/since');

    const streamA = await openStream(await keyWith(a, ['decisions:read']));
    const streamB = await openStream(b.key);
    try {
      expect(streamA.res.headers.get('content-type')).toContain('text/event-stream');
      await attack(a, '203.0.113.150', Date.now() - MIN);
      await waitFor(async () => streamA.events.length >= 1, { ...WAIT, description: 'decision.created on the stream' });
      const [created] = streamA.events;
      expect(created).toMatchObject({ event: 'decision.created', id: expect.stringMatching(/^\d+$/), data: { kind: 'block_ip', target: '203.0.113.150', revokedAt: null } });

      const revoked = await stack.api(`/v1/decisions/${created!.data.id}/revoke`, { key: a.key, body: { reason: 'test' } });
      expect(revoked.status).toBe(200);
      await waitFor(async () => streamA.events.length >= 2, { ...WAIT, description: 'decision.revoked on the stream' });
      expect(streamA.events[1]).toMatchObject({ event: 'decision.revoked', data: revoked.body });
      await stack.settle();
      expect(streamA.events).toHaveLength(2);
      expect(streamB.events).toEqual([]);

      // A client that saw only the first event reconnects and gets exactly what it missed.
      const resumed = await openStream(a.key, { lastEventId: created!.id });
      try {
        await waitFor(async () => resumed.events.length >= 1, { ...WAIT, description: 'catch-up after reconnect' });
        expect(resumed.events.map((e) => [e.event, e.data.id])).toEqual([['decision.revoked', created!.data.id]]);
      } finally {
        resumed.close();
      }
    } finally {
      streamA.close();
      streamB.close();
    }
  });

  it('watchlist: an address in a breach becomes one credential.exposed in ingest, once over many polls and a restart; tenants apart', async () => {
    const a = await stack.createOrg('Watcher', ['sec@watcher.test']);
    const b = await stack.createOrg('Other', ['sec@other.test']);
    hibp.breaches.push({ Name: 'Adobe', Title: 'Adobe', Domain: 'adobe.com', BreachDate: '2013-10-04', DataClasses: ['Email addresses', 'Passwords'] });
    hibp.accounts.set('erin.home@mail.test', ['Adobe']);

    const bad = await stack.api('/v1/watchlist', { key: a.key, body: { kind: 'email', value: 'not an email' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].pointer).toBe('/value');
    const created = await stack.api('/v1/watchlist', { key: a.key, body: { kind: 'email', value: 'Erin.Home@mail.test', label: "Erin's personal address" } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ kind: 'email', value: 'erin.home@mail.test', label: "Erin's personal address", exposures: 0 });
    const again = await stack.api('/v1/watchlist', { key: a.key, body: { kind: 'email', value: 'erin.home@mail.test' } });
    expect(again).toMatchObject({ status: 200, body: { id: created.body.id } });

    const exposed = () => stack.count("select count(*) as n from ingest.raw_events where org_id = $1 and type = 'credential.exposed'", [a.orgId]);
    await waitFor(async () => (await exposed()) === 1, { ...WAIT, description: 'credential.exposed stored by ingest' });
    // Several more polls (one a second) find the same breach, across a kill -9 and restart of detection: still one event.
    const morePolls = async (n: number) => {
      const polled = hibp.requests.length;
      await waitFor(async () => hibp.requests.length >= polled + n, { ...WAIT, description: `${n} more polls` });
    };
    await morePolls(2);
    await stack.services.get('detection')!.kill();
    await stack.startService('detection', hibpEnv());
    await morePolls(2);
    await stack.settle();
    expect(await exposed()).toBe(1);
    const [row] = await stack.db.query<{ envelope: any }>("select envelope from ingest.raw_events where org_id = $1 and type = 'credential.exposed'", [a.orgId]);
    expect(row!.envelope.data).toMatchObject({ account: 'erin.home@mail.test', sourceType: 'service_breach', passwordForm: 'weak_hash', breachDate: '2013-10-04' });
    expect((await stack.api(`/v1/watchlist/${created.body.id}`, { key: a.key })).body).toMatchObject({ exposures: 1, lastCheckedAt: expect.any(String) });

    expect((await stack.api(`/v1/watchlist/${created.body.id}`, { key: b.key })).status).toBe(404);
    expect((await stack.api(`/v1/watchlist/${created.body.id}`, { key: b.key, method: 'DELETE' })).status).toBe(404);
    expect((await stack.api('/v1/watchlist', { key: b.key })).body.items).toEqual([]);
    const removed = await stack.api(`/v1/watchlist/${created.body.id}`, { key: a.key, method: 'DELETE' });
    expect(removed).toMatchObject({ status: 200, body: { id: created.body.id } });
    expect((await stack.api('/v1/watchlist', { key: a.key })).body.items).toEqual([]);
  });

  // Last: it stops the gateway.
  it('ends open decision streams on SIGTERM, so the gateway shuts down cleanly instead of being killed', async () => {
    const org = await stack.createOrg('Shutdown', ['sec@shutdown.test']);
    const stream = await openStream(org.key);
    expect(stream.res.status).toBe(200);
    const gateway = stack.services.get('gateway')!;
    await gateway.stop();
    // Nest re-raises SIGTERM after a clean close; a hang would end in SIGKILL after 10 s.
    expect(await gateway.exited).toEqual({ code: null, signal: 'SIGTERM' });
    stream.close();
  });
});
