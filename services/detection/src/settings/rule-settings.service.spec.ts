import pino from 'pino';
import type { NatsConnection } from 'nats';
import type { RuleSettingsRow } from '../db/schema';
import { RuleRegistry } from '../engine/registry';
import type { StateRepository } from '../engine/state.repository';
import { rules } from '../rules';
import { bruteForceByIp } from '../rules/brute-force.rule';
import { RuleSettingsService } from './rule-settings.service';

/**
 * The cache against an announcement that lands while a load is reading PostgreSQL: that interleaving
 * can't be produced on demand with the real database, so the repository here answers when told to.
 */
const org = '7c0e0c4e-6a6f-4b8e-9f57-1f0a7d3c2b11';
const row = (threshold: number): RuleSettingsRow => ({ org_id: org, rule_id: bruteForceByIp.id, settings: { threshold }, updated_at: new Date(), updated_by: 'spec' }) as RuleSettingsRow;

function service() {
  let stored = row(5);
  const reads: { resolve: () => void }[] = [];
  const repo = {
    settingsOf: () =>
      new Promise<RuleSettingsRow[]>((resolve) => {
        const snapshot = stored;
        reads.push({ resolve: () => resolve([snapshot]) });
      }),
  } as unknown as StateRepository;
  const settings = new RuleSettingsService(new RuleRegistry(rules), repo, pino({ level: 'silent' }), {} as NatsConnection);
  const threshold = () => settings.effective<{ threshold: number }>(org, bruteForceByIp).threshold;
  const load = async () => {
    const p = settings.load(repo as never, [org]);
    await new Promise((r) => setImmediate(r));
    reads.shift()?.resolve();
    await p;
  };
  return { settings, threshold, load, reads, store: (t: number) => (stored = row(t)), repo };
}

describe('RuleSettingsService cache across replicas', () => {
  it('drops an org on announcement and reads it again', async () => {
    const s = service();
    await s.load();
    expect(s.threshold()).toBe(5);
    s.store(3);
    await s.load();
    expect(s.threshold()).toBe(5); // cached: another replica's change is not seen without the announcement
    s.settings.invalidate(org);
    await s.load();
    expect(s.threshold()).toBe(3);
  });

  it('a load that read before an announcement (org or all) is read again by the next batch', async () => {
    for (const which of ['org', 'all'] as const) {
      const s = service();
      // The batch's read takes the old row; the change and its announcement land before it returns.
      const p = s.settings.load(s.repo as never, [org]);
      await new Promise((r) => setImmediate(r));
      s.store(3);
      s.settings.invalidate(which === 'org' ? org : undefined);
      s.reads.shift()!.resolve();
      await p;
      expect({ which, now: s.threshold() }).toEqual({ which, now: 5 });
      await s.load();
      expect({ which, next: s.threshold() }).toEqual({ which, next: 3 });
      // And then it is cached again: no read per batch.
      await s.settings.load(s.repo as never, [org]);
      expect(s.reads).toHaveLength(0);
    }
  });
});
