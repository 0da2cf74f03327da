import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { regimeListV1 } from '@vigil/contracts';
import { computeObligations, type ObligationFacts } from './obligations.engine';
import { loadRegimeTable, obligationsEnvSchema, RegimeTableError, validateRegimeTable } from './regime-table';
import { defaultRegimes } from './regimes';

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'vigil-regimes-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
function file(content: unknown): string {
  const path = join(dir, `override-${n++}.json`);
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

function errorsOf(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    if (e instanceof RegimeTableError) return e.errors;
    throw e;
  }
  throw new Error('no error');
}

const californian: ObligationFacts = {
  drill: false,
  awareAt: '2026-03-10T15:00:00Z',
  discoveredAt: '2026-03-10T15:00:00Z',
  assessmentCompletedAt: null,
  ransomPaidAt: null,
  affected: [{ country: 'US', region: 'CA', count: 20 }],
  dataCategories: ['government_id'],
  encryption: 'none',
  risk: 'high',
  determinations: [],
  org: { hipaaCoveredEntity: false, nydfsCoveredEntity: false, nis2Entity: false, trustServiceProvider: false, brazilSmallAgent: false, secRegistrant: false, eeaEstablished: false, ukEstablished: false },
  reports: [],
};
const residentsDue = (regimes: ReturnType<typeof loadRegimeTable>) => computeObligations(californian, regimes, new Date('2026-03-11T00:00:00Z')).find((o) => o.ruleId === 'us-ca.residents');

describe('regime table', () => {
  it('the defaults pass their own validation and the GET /v1/regimes contract', () => {
    expect(validateRegimeTable(defaultRegimes)).toMatchObject({ ok: true });
    expect(regimeListV1.safeParse({ regimes: loadRegimeTable() }).success).toBe(true);
  });

  it('docs/obligations.md lists every default rule with its citation', () => {
    const doc = readFileSync(join(__dirname, '../../../../docs/obligations.md'), 'utf8');
    const missing = defaultRegimes.flatMap((r) => r.rules).filter((rule) => !doc.split('\n').some((line) => line.includes(`\`${rule.id}\``) && line.includes(rule.citation.reference)));
    expect(missing.map((r) => r.id)).toEqual([]);
  });

  it('an override file replaces one deadline and keeps everything else', () => {
    const regimes = loadRegimeTable(file({ regimes: { 'us-ca': { rules: { 'us-ca.residents': { deadline: { kind: 'period', amount: 45, unit: 'calendar_days', clockStart: 'discovery' } } } } } }));
    expect(residentsDue(loadRegimeTable())?.due).toBe('2026-04-10T06:59:59.999Z');
    expect(residentsDue(regimes)).toMatchObject({ due: '2026-04-25T06:59:59.999Z', period: { amount: 45, unit: 'calendar_days' }, citation: { reference: 'Cal. Civ. Code 1798.82(a), (d) (as amended by SB 446)' } });
    expect(regimes.map((r) => r.id)).toEqual(defaultRegimes.map((r) => r.id));
  });

  it('removes a regime or a rule with null, and adds a new regime', () => {
    const regimes = loadRegimeTable(
      file({
        regimes: {
          'eu-nis2': null,
          'sg-pdpa': { rules: { 'sg-pdpa.assessment': null } },
          'au-ndb': {
            name: 'Australia Notifiable Data Breaches',
            authority: 'OAIC',
            scope: { kind: 'people', countries: ['AU'] },
            timeZone: 'Australia/Sydney',
            calendar: { weekendDays: [0, 6], fixedHolidays: [], easterOffsets: [], dates: [] },
            rules: {
              'au-ndb.assessment': {
                audience: 'internal',
                recipient: 'the entity',
                conditions: [],
                exemptions: [],
                deadline: { kind: 'period', amount: 30, unit: 'calendar_days', clockStart: 'awareness' },
                reasonsForDelayRequired: false,
                noticeContent: ['assessment of the suspected breach'],
                citation: { reference: 'Privacy Act 1988 s. 26WH(2)' },
              },
            },
          },
        },
      }),
    );
    expect(regimes.map((r) => r.id)).not.toContain('eu-nis2');
    expect(regimes.find((r) => r.id === 'sg-pdpa')!.rules.map((r) => r.id)).toEqual(['sg-pdpa.commission', 'sg-pdpa.individuals']);
    const au = computeObligations({ ...californian, affected: [{ country: 'AU', region: 'NSW', count: 2 }] }, regimes, new Date('2026-03-11T00:00:00Z')).find((o) => o.ruleId === 'au-ndb.assessment');
    // 15:00 UTC on 10 March is already 11 March in Sydney: day 30 is 10 April (AEST by then).
    expect(au).toMatchObject({ applies: true, due: '2026-04-10T13:59:59.999Z' });
  });

  it('rejects a bad override with JSON pointers to each problem', () => {
    expect(errorsOf(() => loadRegimeTable(file({ regimes: { 'us-ca': { rules: { 'us-ca.residents': { deadline: { kind: 'period', amount: -3, unit: 'fortnights', clockStart: 'discovery' } } } } } })))).toEqual([
      { pointer: '/regimes/us-ca/rules/us-ca.residents/deadline/amount', message: expect.any(String) },
      { pointer: '/regimes/us-ca/rules/us-ca.residents/deadline/unit', message: expect.any(String) },
    ]);
    expect(errorsOf(() => loadRegimeTable(file({ regimes: { 'br-lgpd': { timeZone: 'America/Atlantis' } } })))).toEqual([{ pointer: '/regimes/br-lgpd/timeZone', message: "unknown IANA time zone 'America/Atlantis'" }]);
    expect(errorsOf(() => loadRegimeTable(file({ regimes: { 'us-ca': { colour: 'blue' } } })))[0]).toMatchObject({ pointer: '/regimes/us-ca' });
    expect(errorsOf(() => loadRegimeTable(file('{ "regimes": ')))).toEqual([{ pointer: '/', message: expect.stringContaining('cannot read as JSON') }]);
    expect(errorsOf(() => loadRegimeTable(file({ regimes: { 'eu-nis': null, 'us-ca': { rules: { 'us-ca.resident': null } } } })))).toEqual([
      { pointer: '/regimes/eu-nis', message: 'no default regime eu-nis to remove' },
      { pointer: '/regimes/us-ca/rules/us-ca.resident', message: 'no default rule us-ca.resident in us-ca to remove' },
    ]);
  });

  it('rejects a table whose rules no longer fit together', () => {
    // The AG copy counts from the residents' notice: removing that rule strands it.
    expect(errorsOf(() => loadRegimeTable(file({ regimes: { 'us-ca': { rules: { 'us-ca.residents': null } } } })))).toEqual([
      { pointer: '/regimes/us-ca/rules/us-ca.attorney-general/deadline/afterRuleId', message: 'must name another rule of regime us-ca' },
    ]);
    const { id: _id, ...euArt33 } = defaultRegimes[0]!.rules[0]!;
    const stolenId = { ...euArt33, citation: { reference: 'copy' } };
    expect(errorsOf(() => loadRegimeTable(file({ regimes: { 'uk-gdpr': { rules: { 'eu-gdpr.art33.authority': stolenId } } } })))).toEqual([
      { pointer: '/regimes/uk-gdpr/rules/eu-gdpr.art33.authority/id', message: 'rule id eu-gdpr.art33.authority is used by regime eu-gdpr too' },
    ]);
    expect(errorsOf(() => loadRegimeTable(file({ regimes: { 'us-hipaa': { rules: { 'us-hipaa.media': { conditions: [{ kind: 'affected', min: 10, max: 5, per: 'scope' }] } } } } })))).toEqual([
      { pointer: '/regimes/us-hipaa/rules/us-hipaa.media/conditions/0', message: 'min is above max' },
    ]);
  });

  it('requires the finding a determination clock counts from', () => {
    expect(errorsOf(() => loadRegimeTable(file({ regimes: { 'us-sec': { rules: { 'us-sec.8k-item-1-05': { deadline: { kind: 'period', amount: 4, unit: 'business_days', clockStart: 'determination' } } } } } })))).toEqual([
      { pointer: '/regimes/us-sec/rules/us-sec.8k-item-1-05/deadline/determination', message: 'name the finding if and only if clockStart is determination' },
    ]);
  });

  it('reads its configuration from the environment', () => {
    expect(obligationsEnvSchema.parse({})).toEqual({ VIGIL_DEADLINE_WARNING_HOURS: [24, 6] });
    expect(obligationsEnvSchema.parse({ VIGIL_REGIMES_FILE: '/etc/vigil/regimes.json', VIGIL_DEADLINE_WARNING_HOURS: '48, 12,1' })).toEqual({ VIGIL_REGIMES_FILE: '/etc/vigil/regimes.json', VIGIL_DEADLINE_WARNING_HOURS: [48, 12, 1] });
    expect(obligationsEnvSchema.safeParse({ VIGIL_DEADLINE_WARNING_HOURS: '24,soon' }).success).toBe(false);
  });
});
