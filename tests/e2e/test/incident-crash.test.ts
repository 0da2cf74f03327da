import { waitFor } from '@vigil/testing';
import { TestStack, loginFailed, type TestOrg } from '../src';

/**
 * Kill -9 the incident service between receiving a detection and acking it, then restart it: the
 * attack must still end as exactly one incident, one announcement and one email. Two crash points:
 * before the transaction commits (nothing happened yet) and after it commits (effect done, ack lost).
 */
describe('incident service killed between receipt and ack', () => {
  let stack: TestStack;

  beforeAll(async () => {
    // A short ack wait so the redelivery after the crash comes in seconds, not the production 30 s.
    stack = await TestStack.start({ env: { incident: { VIGIL_CONSUMER_ACK_WAIT_MS: '2000' } } });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  for (const point of ['before-commit', 'after-commit'] as const) {
    it(`loses nothing and duplicates nothing when killed ${point}`, async () => {
      await stack.services.get('incident')!.stop();
      const crashing = await stack.startService('incident', {
        VIGIL_CONSUMER_ACK_WAIT_MS: '2000',
        VIGIL_FAULT_KILL: `incident-detection-triggered:${point}`,
      });

      const org: TestOrg = await stack.createOrg(`Crash ${point}`, [`sec@${point}.test`]);
      const res = await stack.api('/v1/events', { key: org.key, body: Array.from({ length: 6 }, () => loginFailed('198.51.100.66')) });
      expect(res.status).toBe(202);

      const exit = await crashing.exited;
      expect(exit.signal).toBe('SIGKILL');
      expect(crashing.logs()).toContain(`VIGIL_FAULT_KILL: killing process at incident-detection-triggered:${point}`);
      const committed = await stack.count('select count(*) as n from incident.incidents where org_id = $1', [org.orgId]);
      expect(committed).toBe(point === 'after-commit' ? 1 : 0);

      await stack.startService('incident', { VIGIL_CONSUMER_ACK_WAIT_MS: '2000' });
      await stack.smtp.waitForMessages(1, (m) => m.to.includes(`sec@${point}.test`), 60_000);
      await stack.settle();

      expect(await stack.count('select count(*) as n from incident.incidents where org_id = $1', [org.orgId])).toBe(1);
      expect(await stack.count('select count(*) as n from reporting.incident_records where org_id = $1', [org.orgId])).toBe(1);
      expect(stack.smtp.messages.filter((m) => m.to.includes(`sec@${point}.test`))).toHaveLength(1);
      await waitFor(async () => (await stack.api('/v1/reports/breach-summary', { key: org.key })).body?.totals?.incidents === 1, {
        timeoutMs: 10_000,
        description: 'report to list the incident',
      });
    });
  }
});
