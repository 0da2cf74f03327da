import { randomUUID } from 'node:crypto';
import { RuleRegistry } from '../src/engine/registry';
import { RuleSettingsService } from '../src/settings/rule-settings.service';
import { DetectionHarness, decodeKeepsEnrichment, expectedOf, loadScenarios, scenarioEvents } from './harness';

/**
 * Every scenario file (services/detection/scenarios/*.jsonl) replayed through detection over real
 * NATS and PostgreSQL: each case in its own org, and the detections must be exactly the expected
 * ones (rule, key, severity, count) — a near miss expects none, from any rule.
 */
const cases = loadScenarios();
const geo = decodeKeepsEnrichment();
// Midnight UTC two days ago: fixed wall-clock hours for the after-hours cases, well within event-time bounds.
const t0 = Math.floor(Date.now() / 86_400_000) * 86_400_000 - 2 * 86_400_000;

let h: DetectionHarness;

beforeAll(async () => {
  h = await DetectionHarness.start();
}, 60_000);

afterAll(async () => {
  await h?.stop();
});

const sortKey = (d: { ruleId: string; key: string; severity: string }) => `${d.ruleId} ${d.key} ${d.severity}`;

describe.each([...new Set(cases.map((c) => c.file))])('scenario %s', (file) => {
  for (const c of cases.filter((x) => x.file === file)) {
    const needsGeo = c.events.some((e) => e.enrichment);
    (needsGeo && !geo ? it.skip : it)(`${c.name}: ${c.expect.length ? c.expect.map(sortKey).join(', ') : 'no detection'}`, async () => {
      const org = randomUUID();
      const settings = h.app.get(RuleSettingsService);
      const registry = h.app.get(RuleRegistry);
      for (const [ruleId, s] of Object.entries(c.settings)) {
        expect(await settings.update(org, registry.get(ruleId)!, s, 'scenario')).toEqual({ ok: true });
      }
      await h.settled(await h.publish(scenarioEvents(c, org, t0)));
      const detections = await h.detectionsOf(org);
      expect(detections.map((d) => sortKey({ ruleId: d.ruleId, key: d.key?.value ?? '', severity: d.severity })).sort()).toEqual(expectedOf(c, org).map(sortKey).sort());
      expect(new Set(detections.map((d) => d.detectionId)).size).toBe(detections.length);
    });
  }
});
