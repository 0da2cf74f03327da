/**
 * The reference evaluation the chaos suite checks the product against. Written from the rule's
 * statement alone (never from services/detection), so a bug there cannot hide in both places.
 *
 * Rule: per organisation and IP, the failed logins sorted by event time fall into clusters, a new
 * cluster starting wherever two consecutive failures are more than W apart. A cluster is one attack
 * iff some window (x - W, x], x the time of one of its failures, holds at least `threshold` of them.
 * One attack = one detection; an IP with at least one attack = one incident (incidents are never
 * closed in the run, so every later attack on that IP folds into it).
 */
export interface FailedLogin {
  orgId: string;
  ip: string;
  /** Event time, ms since the epoch. */
  at: number;
}

export interface RuleParams {
  threshold: number;
  windowMs: number;
}

/** The product's defaults for brute_force.ip: 5 failures in 15 minutes. */
export const BRUTE_FORCE_DEFAULTS: RuleParams = { threshold: 5, windowMs: 15 * 60_000 };

export const keyOf = (orgId: string, ip: string): string => `${orgId}|${ip}`;

/** Number of attacks in one IP's failures (any order). */
export function attacksIn(times: readonly number[], params: RuleParams): number {
  const sorted = [...times].sort((a, b) => a - b);
  let attacks = 0;
  let start = 0;
  for (let end = 1; end <= sorted.length; end++) {
    if (end < sorted.length && sorted[end]! - sorted[end - 1]! <= params.windowMs) continue;
    if (clusterHasDenseWindow(sorted, start, end, params)) attacks++;
    start = end;
  }
  return attacks;
}

/** Whether some (x - W, x] with x in sorted[start..end) holds >= threshold events of the cluster. */
function clusterHasDenseWindow(sorted: readonly number[], start: number, end: number, params: RuleParams): boolean {
  let lo = start;
  for (let hi = start; hi < end; hi++) {
    while (sorted[lo]! <= sorted[hi]! - params.windowMs) lo++;
    if (hi - lo + 1 >= params.threshold) return true;
  }
  return false;
}

export interface Expected {
  /** Attacks (= detections) per `org|ip`, only keys with at least one. */
  attacks: Map<string, number>;
  totalAttacks: number;
  /** Incidents per org (IPs with at least one attack). */
  incidentsByOrg: Map<string, number>;
  totalIncidents: number;
}

export function referenceEvaluation(failures: Iterable<FailedLogin>, params: RuleParams = BRUTE_FORCE_DEFAULTS): Expected {
  const byKey = new Map<string, { orgId: string; times: number[] }>();
  for (const f of failures) {
    const k = keyOf(f.orgId, f.ip);
    const entry = byKey.get(k) ?? { orgId: f.orgId, times: [] };
    entry.times.push(f.at);
    byKey.set(k, entry);
  }
  const attacks = new Map<string, number>();
  const incidentsByOrg = new Map<string, number>();
  let totalAttacks = 0;
  for (const [k, { orgId, times }] of byKey) {
    const n = attacksIn(times, params);
    if (n === 0) continue;
    attacks.set(k, n);
    totalAttacks += n;
    incidentsByOrg.set(orgId, (incidentsByOrg.get(orgId) ?? 0) + 1);
  }
  return { attacks, totalAttacks, incidentsByOrg, totalIncidents: attacks.size };
}
