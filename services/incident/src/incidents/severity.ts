import { PAYMENT_DATA_CATEGORIES, SENSITIVE_DATA_CATEGORIES, type BreachDataCategory, type Severity } from '@vigil/contracts';

const RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };
export const maxSeverity = (a: Severity, b: Severity): Severity => (RANK[a] >= RANK[b] ? a : b);

export interface SeverityFacts {
  dataCategories: readonly BreachDataCategory[];
  /** People affected: the largest of the declared count, the per-region counts and the rows. */
  affected: number;
  activeThreat: boolean;
  /** The severity the opening detection rule gave, if any: the facts can raise it, never lower it. */
  baseline: Severity | null;
}

/**
 * The seed's classification table: critical = payment data, > 1,000 people or an active threat;
 * high = significant PII (the special categories) or 101-1,000 people; medium = 10-100 people;
 * low = fewer than 10. Each row that applies is named, so a responder sees why.
 */
export function classifySeverity(f: SeverityFacts): { severity: Severity; reasons: string[] } {
  const reasons: string[] = [];
  let severity: Severity = 'low';
  const raise = (s: Severity, why: string) => {
    severity = maxSeverity(severity, s);
    reasons.push(`${s}: ${why}`);
  };
  const payment = f.dataCategories.filter((c) => PAYMENT_DATA_CATEGORIES.includes(c));
  if (payment.length) raise('critical', `payment data exposed (${payment.join(', ')})`);
  if (f.activeThreat) raise('critical', 'active threat');
  if (f.affected > 1000) raise('critical', `${f.affected} people affected (> 1,000)`);
  else if (f.affected > 100) raise('high', `${f.affected} people affected (101-1,000)`);
  else if (f.affected >= 10) raise('medium', `${f.affected} people affected (10-100)`);
  else reasons.push(`low: ${f.affected} people affected (< 10)`);
  const sensitive = f.dataCategories.filter((c) => SENSITIVE_DATA_CATEGORIES.includes(c));
  if (sensitive.length) raise('high', `sensitive personal data exposed (${sensitive.join(', ')})`);
  if (f.baseline) raise(f.baseline, 'severity of the detection that opened it');
  return { severity, reasons };
}

/** Response-time target per severity, from discovery: immediate, 4 h, 24 h, 48 h. */
export const RESPONSE_TARGET_HOURS: Record<Severity, number> = { critical: 0, high: 4, medium: 24, low: 48 };
