import type { RegimeDataCategory, ClockStart, ObligationCondition, ObligationRule, ObligationViewV1, OrgFlag, Regime, RegimeScope, RiskLevel } from '@vigil/contracts';
import { endOfLocalYear, periodEnd } from './calendar';

/** What the engine needs to know about an incident. Instants are ISO 8601 strings. */
export interface ObligationFacts {
  drill: boolean;
  /** When the organisation had reasonable certainty that personal data were compromised (GDPR "aware"). */
  awareAt: string | null;
  /** When the breach was known, or should have been known, to anyone in the organisation (HIPAA, California). */
  discoveredAt: string | null;
  /** When the assessment of whether the breach is notifiable ended (Singapore). */
  assessmentCompletedAt: string | null;
  ransomPaidAt: string | null;
  /** Affected people per jurisdiction: ISO 3166-1 country and, where known, subdivision (e.g. US + CA). */
  affected: ReadonlyArray<{ country: string; region: string | null; count: number }>;
  dataCategories: readonly RegimeDataCategory[];
  /** encrypted: encrypted with a key that was not compromised. */
  encryption: 'none' | 'encrypted' | 'key_compromised';
  risk: RiskLevel;
  /**
   * Findings recorded on the incident, by name, with when they were made: rules test them
   * (`nis2.significant`) and some clocks start at one (`sec.material`, `nydfs.reportable`).
   */
  determinations: ReadonlyArray<{ name: string; at: string }>;
  org: Readonly<Record<OrgFlag, boolean>>;
  /** Reports made, one per rule at most (the first counts). */
  reports: ReadonlyArray<{ ruleId: string; reportedAt: string; reference: string; reasonsForDelay: string | null }>;
}

const riskOrder: Record<RiskLevel, number> = { unlikely: 0, risk: 1, high: 2 };

const clockFact = {
  awareness: 'awareAt',
  discovery: 'discoveredAt',
  assessment_end: 'assessmentCompletedAt',
  ransom_payment: 'ransomPaidAt',
} as const satisfies Record<Exclude<ClockStart, 'prior_report' | 'discovery_year_end' | 'determination'>, keyof ObligationFacts>;

/** Which recorded fact starts a clock: the kind, plus the rule or finding it names. */
interface ClockRef {
  fact: ClockStart;
  afterRuleId: string | null;
  determination: string | null;
}

interface Finding {
  holds: boolean;
  why: string;
}

function peopleInScope(regime: Regime, facts: ObligationFacts): ObligationFacts['affected'] {
  const scope = regime.scope;
  if (scope.kind === 'entity' || (scope.establishedFlag && facts.org[scope.establishedFlag])) return facts.affected;
  return facts.affected.filter((a) => scope.countries.includes(a.country) && (!scope.regions || (a.region !== null && scope.regions.includes(a.region))));
}

function describePeopleScope(scope: Extract<RegimeScope, { kind: 'people' }>): string {
  const where = scope.regions ? scope.regions.map((r) => `${scope.countries.join('/')}-${r}`).join(', ') : scope.countries.length > 3 ? `${scope.countries.length} countries` : scope.countries.join(', ');
  return `people in ${where}`;
}

function sum(rows: ObligationFacts['affected']): number {
  return rows.reduce((n, r) => n + r.count, 0);
}

const range = (min?: number, max?: number) => (min !== undefined && max !== undefined ? `${min}-${max}` : min !== undefined ? `>= ${min}` : `<= ${max}`);

function evaluate(condition: ObligationCondition, regime: Regime, facts: ObligationFacts): Finding {
  switch (condition.kind) {
    case 'risk':
      return { holds: riskOrder[facts.risk] >= riskOrder[condition.atLeast], why: `risk is ${facts.risk} (needs ${condition.atLeast} or above)` };
    case 'affected': {
      const rows = peopleInScope(regime, facts).filter((a) => condition.country === undefined || a.country === condition.country);
      const inRange = (n: number) => (condition.min === undefined || n >= condition.min) && (condition.max === undefined || n <= condition.max);
      const wanted = range(condition.min, condition.max);
      if (condition.per === 'scope') {
        const n = sum(rows);
        return { holds: inRange(n), why: `${n} affected in scope (needs ${wanted})` };
      }
      const byRegion = new Map<string, number>();
      for (const r of rows) if (r.region !== null) byRegion.set(`${r.country}-${r.region}`, (byRegion.get(`${r.country}-${r.region}`) ?? 0) + r.count);
      const hit = [...byRegion].find(([, n]) => inRange(n));
      const largest = Math.max(0, ...byRegion.values());
      return hit
        ? { holds: true, why: `${hit[1]} affected in ${hit[0]} (needs ${wanted} in one region)` }
        : { holds: false, why: `no single region has ${wanted} affected (largest ${largest})` };
    }
    case 'data_category_any': {
      const hits = condition.categories.filter((c) => facts.dataCategories.includes(c));
      return hits.length
        ? { holds: true, why: `data includes ${hits.join(', ')}` }
        : { holds: false, why: `data includes none of ${condition.categories.join(', ')}` };
    }
    case 'org_flag':
      return { holds: facts.org[condition.flag] === condition.is, why: `organisation is ${facts.org[condition.flag] ? '' : 'not '}${condition.flag}` };
    case 'determination': {
      const made = facts.determinations.some((d) => d.name === condition.name);
      return { holds: made === (condition.is ?? true), why: made ? `determined ${condition.name}` : `${condition.name} not determined` };
    }
    case 'fact_recorded': {
      const at = clockStartInstant({ fact: condition.fact, afterRuleId: null, determination: null }, facts, regime);
      return { holds: at !== null, why: at !== null ? `${condition.fact} recorded` : `no ${condition.fact} recorded` };
    }
    case 'any': {
      const findings = condition.of.map((c) => evaluate(c, regime, facts));
      const met = findings.filter((f) => f.holds);
      return met.length ? { holds: true, why: met.map((f) => f.why).join('; ') } : { holds: false, why: `none of: ${findings.map((f) => f.why).join('; ')}` };
    }
  }
}

function reportOf(ruleId: string, facts: ObligationFacts) {
  return facts.reports.find((r) => r.ruleId === ruleId) ?? null;
}

function clockStartInstant(clock: ClockRef, facts: ObligationFacts, regime: Regime): Date | null {
  const { fact } = clock;
  if (fact === 'prior_report') {
    const prior = clock.afterRuleId ? reportOf(clock.afterRuleId, facts) : null;
    return prior ? new Date(prior.reportedAt) : null;
  }
  if (fact === 'determination') {
    const found = facts.determinations.find((d) => d.name === clock.determination);
    return found ? new Date(found.at) : null;
  }
  if (fact === 'discovery_year_end') return facts.discoveredAt ? endOfLocalYear(new Date(facts.discoveredAt), regime.timeZone) : null;
  const at = facts[clockFact[fact]];
  return at ? new Date(at) : null;
}

function notStartedReason(clock: ClockRef): string {
  if (clock.fact === 'prior_report') return `the clock starts when ${clock.afterRuleId} is reported, and it has not been`;
  if (clock.fact === 'determination') return `the clock starts when ${clock.determination} is determined, and it has not been`;
  if (clock.fact === 'discovery_year_end') return 'the clock starts at the end of the year of discovery, and no discovery time is recorded';
  return `the clock starts at ${clock.fact}, and no ${clock.fact} time is recorded`;
}

function evaluateRule(regime: Regime, rule: ObligationRule, facts: ObligationFacts, inScope: Finding, now: Date): ObligationViewV1 {
  const rationale = [inScope.why];
  let applies = inScope.holds;
  if (applies) {
    for (const c of rule.conditions) {
      const f = evaluate(c, regime, facts);
      rationale.push(f.why);
      applies &&= f.holds;
    }
  }
  if (applies) {
    for (const e of rule.exemptions) {
      if (e.kind === 'encrypted' && facts.encryption === 'encrypted') {
        rationale.push(`exempt: data encrypted and key not compromised (${e.citation.reference})`);
        applies = false;
      }
    }
  }

  const clock: ClockRef = {
    fact: rule.deadline.clockStart,
    afterRuleId: rule.deadline.kind === 'period' ? (rule.deadline.afterRuleId ?? null) : null,
    determination: rule.deadline.determination ?? null,
  };
  const startAt = applies ? clockStartInstant(clock, facts, regime) : null;
  const period = rule.deadline.kind === 'period' ? { amount: rule.deadline.amount, unit: rule.deadline.unit } : null;
  let due: Date | null = null;
  let dueReason: string | null = null;
  if (!applies) dueReason = 'does not apply';
  else if (rule.deadline.kind === 'none') dueReason = rule.deadline.reason;
  else if (!startAt) dueReason = notStartedReason(clock);
  else due = periodEnd(startAt, rule.deadline.amount, rule.deadline.unit, regime.timeZone, regime.calendar);

  const recorded = applies ? reportOf(rule.id, facts) : null;
  const reportedLate = recorded !== null && due !== null && new Date(recorded.reportedAt) > due;
  const status = !applies ? 'not_applicable' : recorded ? 'done' : due !== null && now > due ? 'late' : 'pending';
  return {
    ruleId: rule.id,
    regimeId: regime.id,
    regimeName: regime.name,
    audience: rule.audience,
    recipient: rule.recipient,
    phase: rule.phase ?? null,
    applies,
    rationale,
    due: due?.toISOString() ?? null,
    dueReason,
    clockStart: { ...clock, at: startAt?.toISOString() ?? null },
    period,
    timeZone: regime.timeZone,
    noticeContent: rule.noticeContent,
    status,
    lateReportNeedsReasons: rule.reasonsForDelayRequired,
    reasonsForDelayRequired: rule.reasonsForDelayRequired && (status === 'late' || reportedLate),
    report: recorded ? { reportedAt: new Date(recorded.reportedAt).toISOString(), reference: recorded.reference, late: reportedLate, reasonsForDelay: recorded.reasonsForDelay } : null,
    citation: rule.citation,
  };
}

/**
 * Every rule of every regime, evaluated against an incident's facts at `now`: whether it applies and
 * why, when it is due (or why no instant can be given), and its status. Drills carry no obligations.
 * Pure: the same facts, table and clock always give the same answer.
 */
export function computeObligations(facts: ObligationFacts, regimes: readonly Regime[], now: Date): ObligationViewV1[] {
  if (facts.drill) return [];
  return regimes.flatMap((regime) => {
    const inScope = scopeFinding(regime, facts);
    return regime.rules.map((rule) => evaluateRule(regime, rule, facts, inScope, now));
  });
}

function scopeFinding(regime: Regime, facts: ObligationFacts): Finding {
  const scope = regime.scope;
  if (scope.kind === 'entity') return { holds: facts.org[scope.flag], why: `organisation is ${facts.org[scope.flag] ? '' : 'not '}${scope.flag}` };
  const n = sum(peopleInScope(regime, facts));
  if (scope.establishedFlag && facts.org[scope.establishedFlag]) return { holds: n > 0, why: `organisation is ${scope.establishedFlag}: all ${n} affected count, wherever they live` };
  return { holds: n > 0, why: `${n} affected among ${describePeopleScope(scope)}` };
}
