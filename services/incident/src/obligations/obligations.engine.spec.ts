import { incidentObligationsV1, type ObligationViewV1 } from '@vigil/contracts';
import { computeObligations, type ObligationFacts } from './obligations.engine';
import { obligationReportProblems } from './obligation-report';
import { loadRegimeTable } from './regime-table';

const regimes = loadRegimeTable();
const noFlags = { hipaaCoveredEntity: false, nydfsCoveredEntity: false, nis2Entity: false, trustServiceProvider: false, brazilSmallAgent: false, secRegistrant: false, eeaEstablished: false, ukEstablished: false };

function facts(over: Partial<ObligationFacts> = {}): ObligationFacts {
  return {
    drill: false,
    awareAt: null,
    discoveredAt: null,
    assessmentCompletedAt: null,
    ransomPaidAt: null,
    affected: [],
    dataCategories: ['name', 'contact'],
    encryption: 'none',
    risk: 'high',
    determinations: [],
    org: noFlags,
    reports: [],
    ...over,
  };
}

function rule(all: ObligationViewV1[], ruleId: string): ObligationViewV1 {
  const found = all.find((o) => o.ruleId === ruleId);
  if (!found) throw new Error(`no obligation ${ruleId}`);
  return found;
}

// Friday 20 November 2026, 17:00 in Brussels.
const fridayBrussels = '2026-11-20T16:00:00.000Z';
const eu = (over: Partial<ObligationFacts> = {}) => facts({ awareAt: fridayBrussels, discoveredAt: fridayBrussels, affected: [{ country: 'BE', region: null, count: 40 }], ...over });

describe('computeObligations', () => {
  it('EU, aware Friday 17:00: the authority is due Monday 17:00 (72 h through the weekend), people without undue delay', () => {
    const all = computeObligations(eu(), regimes, new Date('2026-11-21T09:00:00Z'));
    const art33 = rule(all, 'eu-gdpr.art33.authority');
    expect(art33).toMatchObject({
      applies: true,
      due: '2026-11-23T16:00:00.000Z',
      clockStart: { fact: 'awareness', at: fridayBrussels },
      period: { amount: 72, unit: 'hours' },
      status: 'pending',
      reasonsForDelayRequired: false,
      citation: { reference: 'GDPR Art. 33(1), 33(3)' },
    });
    expect(art33.noticeContent).toContain('likely consequences of the breach');
    expect(rule(all, 'eu-gdpr.art34.individuals')).toMatchObject({ applies: true, due: null, dueReason: expect.stringContaining('without undue delay'), status: 'pending' });
    // No one in the UK, California or Brazil: those regimes are listed, and do not apply.
    expect(rule(all, 'uk-gdpr.art33.ico')).toMatchObject({ applies: false, status: 'not_applicable', due: null, rationale: ['0 affected among people in GB'] });
    expect(rule(all, 'br-lgpd.anpd').applies).toBe(false);
  });

  it('answers in the shape of the API contract', () => {
    const all = computeObligations(eu(), regimes, new Date('2026-11-21T09:00:00Z'));
    expect(incidentObligationsV1.safeParse({ incidentId: '7c0e1b2a-0000-4000-8000-000000000001', drill: false, computedAt: '2026-11-21T09:00:00.000Z', obligations: all, recommendation: { action: 'notify_authority', rationale: [], remediation: [] } }).success).toBe(true);
  });

  it('EU: a breach unlikely to result in a risk needs no authority notice, and a plain risk no notice to people', () => {
    const unlikely = computeObligations(eu({ risk: 'unlikely' }), regimes, new Date(fridayBrussels));
    expect(rule(unlikely, 'eu-gdpr.art33.authority')).toMatchObject({ applies: false, rationale: ['40 affected among people in 30 countries', 'risk is unlikely (needs risk or above)'] });
    const risk = computeObligations(eu({ risk: 'risk' }), regimes, new Date(fridayBrussels));
    expect(rule(risk, 'eu-gdpr.art33.authority').applies).toBe(true);
    expect(rule(risk, 'eu-gdpr.art34.individuals').applies).toBe(false);
  });

  it('EU-established organisation: GDPR covers everyone it affects, wherever they live (Art. 3(1))', () => {
    const americans = eu({ affected: [{ country: 'US', region: 'TX', count: 12 }] });
    expect(rule(computeObligations(americans, regimes, new Date(fridayBrussels)), 'eu-gdpr.art33.authority').applies).toBe(false);
    const established = computeObligations({ ...americans, org: { ...noFlags, eeaEstablished: true } }, regimes, new Date(fridayBrussels));
    expect(rule(established, 'eu-gdpr.art33.authority')).toMatchObject({ applies: true, due: '2026-11-23T16:00:00.000Z', rationale: ['organisation is eeaEstablished: all 12 affected count, wherever they live', 'risk is high (needs risk or above)'] });
    expect(rule(established, 'uk-gdpr.art33.ico').applies).toBe(false);
  });

  it('EU late: past Monday 17:00 with no report the authority obligation is late and the report owes reasons for the delay', () => {
    const all = computeObligations(eu(), regimes, new Date('2026-11-23T16:00:00.001Z'));
    const art33 = rule(all, 'eu-gdpr.art33.authority');
    expect(art33).toMatchObject({ status: 'late', reasonsForDelayRequired: true });
    const report = { ruleId: art33.ruleId, reportedAt: '2026-11-24T08:00:00Z', reference: 'APD-2026-118' };
    expect(obligationReportProblems(art33, report)).toEqual([{ pointer: '/reasonsForDelay', message: expect.stringContaining('GDPR Art. 33(1)') }]);
    expect(obligationReportProblems(art33, { ...report, reasonsForDelay: 'forensic confirmation took until Tuesday' })).toEqual([]);
    // In time, no reasons are asked.
    expect(obligationReportProblems(art33, { ...report, reportedAt: '2026-11-23T15:00:00Z' })).toEqual([]);
  });

  it('EU done: a recorded report closes the obligation with its reference; a late one keeps its reasons', () => {
    const onTime = computeObligations(eu({ reports: [{ ruleId: 'eu-gdpr.art33.authority', reportedAt: '2026-11-22T10:00:00Z', reference: 'APD-1', reasonsForDelay: null }] }), regimes, new Date('2026-12-01T00:00:00Z'));
    expect(rule(onTime, 'eu-gdpr.art33.authority')).toMatchObject({ status: 'done', reasonsForDelayRequired: false, report: { reference: 'APD-1', late: false, reportedAt: '2026-11-22T10:00:00.000Z' } });
    const late = computeObligations(eu({ reports: [{ ruleId: 'eu-gdpr.art33.authority', reportedAt: '2026-11-24T10:00:00Z', reference: 'APD-2', reasonsForDelay: 'scope unclear' }] }), regimes, new Date('2026-12-01T00:00:00Z'));
    expect(rule(late, 'eu-gdpr.art33.authority')).toMatchObject({ status: 'done', reasonsForDelayRequired: true, report: { late: true, reasonsForDelay: 'scope unclear' } });
    expect(obligationReportProblems(rule(onTime, 'eu-gdpr.art33.authority'), { ruleId: 'eu-gdpr.art33.authority', reportedAt: '2026-11-22T11:00:00Z', reference: 'again' })).toEqual([
      { pointer: '/ruleId', message: 'eu-gdpr.art33.authority was already reported (reference APD-1)' },
    ]);
  });

  it('refuses a report for an obligation that does not apply, or dated before its clock started', () => {
    const all = computeObligations(eu(), regimes, new Date(fridayBrussels));
    expect(obligationReportProblems(rule(all, 'uk-gdpr.art33.ico'), { ruleId: 'uk-gdpr.art33.ico', reportedAt: '2026-11-21T00:00:00Z', reference: 'x' })[0]).toMatchObject({ pointer: '/ruleId' });
    expect(obligationReportProblems(undefined, { ruleId: 'xx.nothing', reportedAt: '2026-11-21T00:00:00Z', reference: 'x' })).toEqual([{ pointer: '/ruleId', message: 'no obligation xx.nothing for this incident' }]);
    expect(obligationReportProblems(rule(all, 'eu-gdpr.art33.authority'), { ruleId: 'eu-gdpr.art33.authority', reportedAt: '2026-11-19T00:00:00Z', reference: 'x' })).toEqual([
      { pointer: '/reportedAt', message: `before the clock started (awareness at ${fridayBrussels})` },
    ]);
  });

  it('encrypted data with a safe key: no notice to people where the regime exempts it, the authority notice stays', () => {
    const all = computeObligations(eu({ encryption: 'encrypted', affected: [{ country: 'FR', region: null, count: 10 }, { country: 'US', region: 'CA', count: 10 }], dataCategories: ['financial'] }), regimes, new Date(fridayBrussels));
    expect(rule(all, 'eu-gdpr.art34.individuals')).toMatchObject({ applies: false, status: 'not_applicable' });
    expect(rule(all, 'eu-gdpr.art34.individuals').rationale.at(-1)).toBe('exempt: data encrypted and key not compromised (GDPR Art. 34(3)(a))');
    expect(rule(all, 'eu-gdpr.art33.authority').applies).toBe(true);
    expect(rule(all, 'us-ca.residents').applies).toBe(false);
    // A compromised key is no exemption.
    const keyLost = computeObligations(eu({ encryption: 'key_compromised', affected: [{ country: 'US', region: 'CA', count: 10 }], dataCategories: ['financial'], discoveredAt: '2026-03-10T15:00:00Z' }), regimes, new Date(fridayBrussels));
    expect(rule(keyLost, 'us-ca.residents').applies).toBe(true);
  });

  it('California: residents within 30 calendar days of discovery; the AG sample copy above 500 residents, 15 days after they were told', () => {
    const ca = (count: number, reports: ObligationFacts['reports'] = []) =>
      computeObligations(facts({ discoveredAt: '2026-03-10T15:00:00Z', affected: [{ country: 'US', region: 'CA', count }, { country: 'US', region: 'NV', count: 900 }], dataCategories: ['name', 'government_id'], reports }), regimes, new Date('2026-03-11T00:00:00Z'));
    expect(rule(ca(20), 'us-ca.residents')).toMatchObject({ applies: true, due: '2026-04-10T06:59:59.999Z', clockStart: { fact: 'discovery' }, period: { amount: 30, unit: 'calendar_days' }, timeZone: 'America/Los_Angeles' });
    // Nevadans do not count toward California's threshold.
    expect(rule(ca(500), 'us-ca.attorney-general')).toMatchObject({ applies: false, rationale: ['500 affected among people in US-CA', '500 affected in scope (needs >= 501)', 'data includes government_id'] });
    expect(rule(ca(501), 'us-ca.attorney-general')).toMatchObject({ applies: true, due: null, dueReason: 'the clock starts when us-ca.residents is reported, and it has not been' });
    const told = ca(501, [{ ruleId: 'us-ca.residents', reportedAt: '2026-03-20T18:00:00Z', reference: 'mailing-1', reasonsForDelay: null }]);
    expect(rule(told, 'us-ca.attorney-general')).toMatchObject({ due: '2026-04-05T06:59:59.999Z', clockStart: { fact: 'prior_report', at: '2026-03-20T18:00:00.000Z', afterRuleId: 'us-ca.residents' } });
    // Only a name and an email: no California notice at all.
    const contactOnly = computeObligations(facts({ discoveredAt: '2026-03-10T15:00:00Z', affected: [{ country: 'US', region: 'CA', count: 20 }] }), regimes, new Date('2026-03-11T00:00:00Z'));
    expect(rule(contactOnly, 'us-ca.residents').applies).toBe(false);
  });

  describe('HIPAA (covered entity, health data, discovered 1 February 2026 10:00 New York)', () => {
    const hipaa = (affected: ObligationFacts['affected'], over: Partial<ObligationFacts> = {}) =>
      computeObligations(facts({ discoveredAt: '2026-02-01T15:00:00Z', affected, dataCategories: ['health'], org: { ...noFlags, hipaaCoveredEntity: true }, ...over }), regimes, new Date('2026-02-02T00:00:00Z'));

    it('individuals within 60 calendar days of discovery: the end of 2 April', () => {
      expect(rule(hipaa([{ country: 'US', region: 'TX', count: 12 }]), 'us-hipaa.individuals')).toMatchObject({ applies: true, due: '2026-04-03T03:59:59.999Z', clockStart: { fact: 'discovery' } });
    });

    it('HHS with the individuals from 500 affected, else in the annual log within 60 days of the year end', () => {
      const small = hipaa([{ country: 'US', region: 'TX', count: 499 }]);
      expect(rule(small, 'us-hipaa.hhs').applies).toBe(false);
      expect(rule(small, 'us-hipaa.hhs-annual-log')).toMatchObject({ applies: true, due: '2027-03-02T04:59:59.999Z', clockStart: { fact: 'discovery_year_end', at: '2027-01-01T04:59:59.999Z' } });
      const large = hipaa([{ country: 'US', region: 'TX', count: 300 }, { country: 'US', region: 'OH', count: 200 }]);
      expect(rule(large, 'us-hipaa.hhs')).toMatchObject({ applies: true, due: '2026-04-03T03:59:59.999Z' });
      expect(rule(large, 'us-hipaa.hhs-annual-log').applies).toBe(false);
      // 500 in all but no State above 500: no media notice.
      expect(rule(large, 'us-hipaa.media')).toMatchObject({ applies: false, rationale: ['organisation is hipaaCoveredEntity', 'data includes health', 'risk is high (needs risk or above)', 'no single region has >= 501 affected (largest 300)'] });
    });

    it('media when more than 500 residents of one State are affected', () => {
      expect(rule(hipaa([{ country: 'US', region: 'TX', count: 501 }]), 'us-hipaa.media')).toMatchObject({ applies: true, audience: 'media', rationale: expect.arrayContaining(['501 affected in US-TX (needs >= 501 in one region)']) });
    });

    it('not a covered entity, not health data, or secured PHI: no HIPAA duty', () => {
      expect(rule(hipaa([{ country: 'US', region: 'TX', count: 12 }], { org: noFlags }), 'us-hipaa.individuals').applies).toBe(false);
      expect(rule(hipaa([{ country: 'US', region: 'TX', count: 12 }], { dataCategories: ['contact'] }), 'us-hipaa.individuals').applies).toBe(false);
      expect(rule(hipaa([{ country: 'US', region: 'TX', count: 12 }], { encryption: 'encrypted' }), 'us-hipaa.individuals').applies).toBe(false);
    });
  });

  it('Brazil counts business days: aware Friday, the ANPD and the people are due at the end of the following Wednesday', () => {
    const br = (over: Partial<ObligationFacts> = {}) =>
      computeObligations(facts({ awareAt: '2026-11-27T13:00:00Z', affected: [{ country: 'BR', region: 'SP', count: 80 }], dataCategories: ['health'], risk: 'risk', ...over }), regimes, new Date('2026-11-27T14:00:00Z'));
    expect(rule(br(), 'br-lgpd.anpd')).toMatchObject({ applies: true, due: '2026-12-03T02:59:59.999Z', period: { amount: 3, unit: 'business_days' }, timeZone: 'America/Sao_Paulo' });
    expect(rule(br(), 'br-lgpd.data-subjects').due).toBe('2026-12-03T02:59:59.999Z');
    expect(rule(br(), 'br-lgpd.anpd-small-agent').applies).toBe(false);
    expect(rule(br({ org: { ...noFlags, brazilSmallAgent: true } }), 'br-lgpd.anpd-small-agent')).toMatchObject({ applies: true, due: '2026-12-08T02:59:59.999Z' });
    // Contact data only, not at large scale: not notifiable; the large-scale determination makes it so.
    expect(rule(br({ dataCategories: ['contact'] }), 'br-lgpd.anpd').applies).toBe(false);
    expect(rule(br({ dataCategories: ['contact'], determinations: [{ name: 'lgpd.large-scale', at: '2026-11-27T13:30:00Z' }] }), 'br-lgpd.anpd').applies).toBe(true);
  });

  it('Canada: no fixed period, so due is null with the reason', () => {
    const all = computeObligations(facts({ determinations: [{ name: 'pipeda.breach-occurred', at: '2026-11-20T16:00:00Z' }], affected: [{ country: 'CA', region: 'ON', count: 3 }] }), regimes, new Date('2027-06-01T00:00:00Z'));
    for (const id of ['ca-pipeda.opc', 'ca-pipeda.individuals']) {
      expect(rule(all, id)).toMatchObject({ applies: true, due: null, dueReason: expect.stringContaining('as soon as feasible'), status: 'pending', clockStart: { fact: 'determination', determination: 'pipeda.breach-occurred', at: '2026-11-20T16:00:00.000Z' } });
    }
  });

  it('Singapore: assess within 30 days; the PDPC 3 calendar days after the assessment, from 500 people or significant harm', () => {
    const sg = (over: Partial<ObligationFacts> = {}) => computeObligations(facts({ awareAt: '2026-11-20T02:00:00Z', affected: [{ country: 'SG', region: null, count: 500 }], risk: 'risk', ...over }), regimes, new Date('2026-11-21T00:00:00Z'));
    expect(rule(sg(), 'sg-pdpa.assessment')).toMatchObject({ audience: 'internal', due: '2026-12-20T15:59:59.999Z' });
    expect(rule(sg(), 'sg-pdpa.commission')).toMatchObject({ applies: true, due: null, dueReason: 'the clock starts at assessment_end, and no assessment_end time is recorded' });
    expect(rule(sg({ assessmentCompletedAt: '2026-11-23T04:00:00Z' }), 'sg-pdpa.commission').due).toBe('2026-11-26T15:59:59.999Z');
    expect(rule(sg({ affected: [{ country: 'SG', region: null, count: 499 }] }), 'sg-pdpa.commission').applies).toBe(false);
    expect(rule(sg({ affected: [{ country: 'SG', region: null, count: 3 }], risk: 'high' }), 'sg-pdpa.commission').applies).toBe(true);
  });

  it('Philippines: sensitive data at real risk of serious harm, the NPC and the people within 72 h of knowledge', () => {
    const all = computeObligations(facts({ awareAt: '2026-11-20T01:00:00Z', affected: [{ country: 'PH', region: null, count: 5 }], dataCategories: ['government_id'] }), regimes, new Date('2026-11-20T02:00:00Z'));
    expect(rule(all, 'ph-npc.commission').due).toBe('2026-11-23T01:00:00.000Z');
    expect(rule(all, 'ph-npc.data-subjects').due).toBe('2026-11-23T01:00:00.000Z');
  });

  it('NIS2: early warning 24 h, notification 72 h (24 h for trust services), final report a month after the notification', () => {
    const nis2 = (over: Partial<ObligationFacts> = {}) =>
      computeObligations(facts({ awareAt: fridayBrussels, determinations: [{ name: 'nis2.significant', at: fridayBrussels }], org: { ...noFlags, nis2Entity: true }, ...over }), regimes, new Date('2026-11-21T00:00:00Z'));
    const all = nis2();
    expect(rule(all, 'eu-nis2.early-warning')).toMatchObject({ applies: true, phase: 'early warning', due: '2026-11-21T16:00:00.000Z' });
    expect(rule(all, 'eu-nis2.notification').due).toBe('2026-11-23T16:00:00.000Z');
    expect(rule(all, 'eu-nis2.notification-trust-service').applies).toBe(false);
    expect(rule(all, 'eu-nis2.final-report')).toMatchObject({ due: null, dueReason: 'the clock starts when eu-nis2.notification is reported, and it has not been' });
    expect(rule(nis2({ org: { ...noFlags, nis2Entity: true, trustServiceProvider: true } }), 'eu-nis2.notification-trust-service').due).toBe('2026-11-21T16:00:00.000Z');
    const notified = nis2({ reports: [{ ruleId: 'eu-nis2.notification', reportedAt: '2026-11-23T09:00:00Z', reference: 'CERT-1', reasonsForDelay: null }] });
    expect(rule(notified, 'eu-nis2.final-report').due).toBe('2026-12-23T22:59:59.999Z');
    // Not a significant incident: nothing.
    expect(nis2({ determinations: [] }).filter((o) => o.regimeId === 'eu-nis2' && o.applies)).toEqual([]);
  });

  it('NYDFS: 72 h from the determination; a ransom payment within 24 h and its explanation within 30 days', () => {
    const base = { determinations: [{ name: 'nydfs.reportable', at: '2026-11-20T14:00:00Z' }], org: { ...noFlags, nydfsCoveredEntity: true } };
    const noRansom = computeObligations(facts(base), regimes, new Date('2026-11-20T15:00:00Z'));
    expect(rule(noRansom, 'us-nydfs.incident')).toMatchObject({ applies: true, due: '2026-11-23T14:00:00.000Z', clockStart: { fact: 'determination' } });
    expect(rule(noRansom, 'us-nydfs.ransom-payment')).toMatchObject({ applies: false, rationale: ['organisation is nydfsCoveredEntity', 'no ransom_payment recorded'] });
    const paid = computeObligations(facts({ ...base, ransomPaidAt: '2026-11-21T10:00:00Z' }), regimes, new Date('2026-11-21T11:00:00Z'));
    expect(rule(paid, 'us-nydfs.ransom-payment').due).toBe('2026-11-22T10:00:00.000Z');
    expect(rule(paid, 'us-nydfs.ransom-explanation').due).toBe('2026-12-22T04:59:59.999Z');
  });

  it('SEC: 4 business days from the materiality determination, skipping Thanksgiving', () => {
    const sec = (over: Partial<ObligationFacts> = {}) =>
      computeObligations(facts({ org: { ...noFlags, secRegistrant: true }, determinations: [{ name: 'sec.material', at: '2026-11-25T20:00:00Z' }], ...over }), regimes, new Date('2026-11-26T00:00:00Z'));
    // Determined Wednesday 25 November: Friday 27, Monday 30, Tuesday 1, Wednesday 2 December.
    expect(rule(sec(), 'us-sec.8k-item-1-05')).toMatchObject({ applies: true, due: '2026-12-03T04:59:59.999Z', clockStart: { fact: 'determination', determination: 'sec.material' } });
    expect(rule(sec({ determinations: [] }), 'us-sec.8k-item-1-05').applies).toBe(false);
    expect(rule(sec({ org: noFlags }), 'us-sec.8k-item-1-05').applies).toBe(false);
  });

  it('New York: residents within 30 days of discovery; consumer reporting agencies above 5,000', () => {
    const ny = (count: number) => computeObligations(facts({ discoveredAt: '2026-06-01T14:00:00Z', affected: [{ country: 'US', region: 'NY', count }], dataCategories: ['payment_card'] }), regimes, new Date('2026-06-02T00:00:00Z'));
    expect(rule(ny(10), 'us-ny.residents').due).toBe('2026-07-02T03:59:59.999Z');
    expect(rule(ny(10), 'us-ny.state-agencies')).toMatchObject({ applies: true, due: null });
    expect(rule(ny(5000), 'us-ny.consumer-reporting-agencies').applies).toBe(false);
    expect(rule(ny(5001), 'us-ny.consumer-reporting-agencies').applies).toBe(true);
  });

  it('Australia: assess within 30 days; eligible breaches as soon as practicable (no instant)', () => {
    const all = computeObligations(facts({ awareAt: '2026-11-20T00:00:00Z', affected: [{ country: 'AU', region: 'VIC', count: 7 }] }), regimes, new Date('2026-11-21T00:00:00Z'));
    expect(rule(all, 'au-ndb.assessment').due).toBe('2026-12-20T12:59:59.999Z');
    expect(rule(all, 'au-ndb.commissioner')).toMatchObject({ applies: true, due: null, dueReason: expect.stringContaining('as soon as practicable') });
  });

  it('Japan: final report 30 days from awareness, 60 when the purpose may be unlawful; over 1,000 people alone is reportable', () => {
    const jp = (over: Partial<ObligationFacts> = {}) => computeObligations(facts({ awareAt: '2026-11-20T03:00:00Z', affected: [{ country: 'JP', region: null, count: 1001 }], ...over }), regimes, new Date('2026-11-21T00:00:00Z'));
    expect(rule(jp(), 'jp-appi.final')).toMatchObject({ applies: true, due: '2026-12-20T14:59:59.999Z' });
    expect(rule(jp(), 'jp-appi.final-unlawful-purpose').applies).toBe(false);
    expect(rule(jp({ affected: [{ country: 'JP', region: null, count: 1000 }] }), 'jp-appi.final').applies).toBe(false);
    const unlawful = jp({ affected: [{ country: 'JP', region: null, count: 2 }], determinations: [{ name: 'appi.unlawful-purpose', at: '2026-11-20T05:00:00Z' }] });
    expect(rule(unlawful, 'jp-appi.final').applies).toBe(false);
    expect(rule(unlawful, 'jp-appi.final-unlawful-purpose').due).toBe('2027-01-19T14:59:59.999Z');
  });

  it('a drill carries no obligations', () => {
    expect(computeObligations(eu({ drill: true }), regimes, new Date(fridayBrussels))).toEqual([]);
    expect(computeObligations(eu(), regimes, new Date(fridayBrussels)).some((o) => o.applies)).toBe(true);
  });

  it('a missing clock start leaves the deadline open with the reason', () => {
    expect(rule(computeObligations(eu({ awareAt: null }), regimes, new Date(fridayBrussels)), 'eu-gdpr.art33.authority')).toMatchObject({
      applies: true,
      due: null,
      dueReason: 'the clock starts at awareness, and no awareness time is recorded',
      status: 'pending',
    });
  });
});
