import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { obligationRuleSchema, regimeSchema, toJsonPointer, zodErrors, type FieldError, type ObligationRule, type Regime } from '@vigil/contracts';
import { isTimeZone } from './calendar';
import { defaultRegimes } from './regimes';

/**
 * A deployment's corrections to the regime table, merged over the defaults. Regimes and rules are
 * keyed by id so a file names only what it changes: a field given replaces the default's (a deadline,
 * a list, the calendar: whole), `null` removes a regime or rule, an unknown id adds one (complete).
 */
const rulePatchSchema = obligationRuleSchema.omit({ id: true }).partial().strict();
const regimePatchSchema = regimeSchema
  .omit({ id: true, rules: true })
  .partial()
  .extend({ rules: z.record(z.string(), rulePatchSchema.nullable()).optional() })
  .strict();
export const regimeOverrideFileSchema = z.object({ regimes: z.record(z.string(), regimePatchSchema.nullable()) }).strict();
export type RegimeOverrideFile = z.infer<typeof regimeOverrideFileSchema>;

/** Configuration of the obligations engine, part of the incident service's environment. */
export const obligationsEnvSchema = z.object({
  /** JSON file merged over the default regime table (docs/obligations.md). */
  VIGIL_REGIMES_FILE: z.string().min(1).optional(),
  /** Hours before a deadline at which incident.deadline_approaching is published. */
  VIGIL_DEADLINE_WARNING_HOURS: z
    .string()
    .default('24,6')
    .transform((s, ctx) => {
      const hours = s.split(',').map((h) => Number(h.trim()));
      if (hours.some((h) => !Number.isFinite(h) || h <= 0)) ctx.addIssue({ code: 'custom', message: 'comma-separated positive numbers of hours, e.g. 24,6' });
      return hours;
    }),
});

export class RegimeTableError extends Error {
  constructor(
    readonly origin: string,
    readonly errors: FieldError[],
  ) {
    super(`invalid regime table (${origin}):\n${errors.map((e) => `  ${e.pointer}: ${e.message}`).join('\n')}`);
  }
}

/** Applies an override to a table. Shape only: `validateRegimeTable` judges the result. */
export function mergeRegimes(defaults: readonly Regime[], override: RegimeOverrideFile): unknown[] {
  const merged: unknown[] = [];
  const patches = override.regimes;
  const mergeRules = (rules: readonly ObligationRule[], patch: Record<string, unknown> | undefined) => {
    const out: unknown[] = [];
    for (const rule of rules) {
      if (!patch || !Object.hasOwn(patch, rule.id)) out.push(rule);
      else if (patch[rule.id] !== null) out.push({ ...rule, ...(patch[rule.id] as object) });
    }
    for (const [id, p] of Object.entries(patch ?? {})) if (p !== null && !rules.some((r) => r.id === id)) out.push({ id, ...(p as object) });
    return out;
  };
  for (const regime of defaults) {
    if (!Object.hasOwn(patches, regime.id)) merged.push(regime);
    else if (patches[regime.id] !== null) {
      const { rules, ...fields } = patches[regime.id]!;
      merged.push({ ...regime, ...fields, rules: mergeRules(regime.rules, rules) });
    }
  }
  for (const [id, patch] of Object.entries(patches)) {
    if (patch === null || defaults.some((r) => r.id === id)) continue;
    const { rules, ...fields } = patch;
    merged.push({ id, ...fields, rules: mergeRules([], rules) });
  }
  return merged;
}

/** A `null` must remove something: removing an id the defaults lack is a typo that would change nothing. */
function strayRemovals(defaults: readonly Regime[], override: RegimeOverrideFile): FieldError[] {
  const errors: FieldError[] = [];
  for (const [regimeId, patch] of Object.entries(override.regimes)) {
    const regime = defaults.find((r) => r.id === regimeId);
    if (patch === null && !regime) errors.push({ pointer: toJsonPointer(['regimes', regimeId]), message: `no default regime ${regimeId} to remove` });
    for (const [ruleId, rulePatch] of Object.entries(patch?.rules ?? {})) {
      if (rulePatch === null && !regime?.rules.some((r) => r.id === ruleId)) {
        errors.push({ pointer: toJsonPointer(['regimes', regimeId, 'rules', ruleId]), message: `no default rule ${ruleId} in ${regimeId} to remove` });
      }
    }
  }
  return errors;
}

/**
 * Validates a whole table: each regime against its contract, then what a schema cannot say: known
 * time zones, rule ids unique across the table, and a prior_report clock naming a rule of its regime.
 * Pointers name regimes and rules by id (`/regimes/us-ca/rules/us-ca.residents/deadline/amount`), as
 * an override file does.
 */
export function validateRegimeTable(candidates: readonly unknown[]): { ok: true; regimes: Regime[] } | { ok: false; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const regimes: Regime[] = [];
  const ruleOwner = new Map<string, string>();
  candidates.forEach((candidate, index) => {
    const c = candidate as { id?: unknown; rules?: unknown };
    const regimeId = typeof c.id === 'string' ? c.id : String(index);
    const ruleIdAt = (i: PropertyKey) => {
      const rule = Array.isArray(c.rules) ? (c.rules[Number(i)] as { id?: unknown } | undefined) : undefined;
      return typeof rule?.id === 'string' ? rule.id : i;
    };
    const base = toJsonPointer(['regimes', regimeId]);
    const parsed = regimeSchema.safeParse(candidate);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const path = issue.path[0] === 'rules' && issue.path.length > 1 ? ['rules', ruleIdAt(issue.path[1]!), ...issue.path.slice(2)] : issue.path;
        errors.push({ pointer: base + toJsonPointer(path), message: issue.message });
      }
      return;
    }
    const regime = parsed.data;
    if (!isTimeZone(regime.timeZone)) errors.push({ pointer: `${base}/timeZone`, message: `unknown IANA time zone '${regime.timeZone}'` });
    for (const rule of regime.rules) {
      const at = base + toJsonPointer(['rules', rule.id]);
      const owner = ruleOwner.get(rule.id);
      if (owner !== undefined) errors.push({ pointer: `${at}/id`, message: `rule id ${rule.id} is used by regime ${owner} too` });
      ruleOwner.set(rule.id, regime.id);
      const d = rule.deadline;
      const after = d.kind === 'period' ? d.afterRuleId : undefined;
      if (d.clockStart === 'prior_report' && d.kind === 'none') errors.push({ pointer: `${at}/deadline/clockStart`, message: 'prior_report needs a period deadline with afterRuleId' });
      if (d.clockStart === 'prior_report' && d.kind === 'period' && !regime.rules.some((r) => r.id === after && r.id !== rule.id)) {
        errors.push({ pointer: `${at}/deadline/afterRuleId`, message: `must name another rule of regime ${regime.id}` });
      }
      if (d.clockStart !== 'prior_report' && after !== undefined) errors.push({ pointer: `${at}/deadline/afterRuleId`, message: 'only for clockStart prior_report' });
      if ((d.clockStart === 'determination') !== (d.determination !== undefined)) {
        errors.push({ pointer: `${at}/deadline/determination`, message: 'name the finding if and only if clockStart is determination' });
      }
      rule.conditions.forEach((cond, i) => {
        const leaves = cond.kind === 'any' ? cond.of : [cond];
        for (const leaf of leaves) {
          if (leaf.kind === 'affected' && leaf.min === undefined && leaf.max === undefined) errors.push({ pointer: `${at}/conditions/${i}`, message: 'give min, max or both' });
          if (leaf.kind === 'affected' && leaf.min !== undefined && leaf.max !== undefined && leaf.min > leaf.max) errors.push({ pointer: `${at}/conditions/${i}`, message: 'min is above max' });
        }
      });
    }
    const seenRegime = regimes.some((r) => r.id === regime.id);
    if (seenRegime) errors.push({ pointer: `${base}/id`, message: `regime id ${regime.id} appears twice` });
    regimes.push(regime);
  });
  return errors.length ? { ok: false, errors } : { ok: true, regimes };
}

/** The table in force: the defaults, with the deployment's override file merged over them when one is configured. */
export function loadRegimeTable(overrideFile?: string, defaults: readonly Regime[] = defaultRegimes): Regime[] {
  if (overrideFile === undefined) {
    const own = validateRegimeTable(defaults);
    if (!own.ok) throw new RegimeTableError('defaults', own.errors);
    return own.regimes;
  }
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(overrideFile, 'utf8'));
  } catch (e) {
    throw new RegimeTableError(overrideFile, [{ pointer: '/', message: `cannot read as JSON: ${(e as Error).message}` }]);
  }
  const file = regimeOverrideFileSchema.safeParse(json);
  if (!file.success) throw new RegimeTableError(overrideFile, zodErrors(file.error));
  const stray = strayRemovals(defaults, file.data);
  if (stray.length) throw new RegimeTableError(overrideFile, stray);
  const merged = validateRegimeTable(mergeRegimes(defaults, file.data));
  if (!merged.ok) throw new RegimeTableError(overrideFile, merged.errors);
  return merged.regimes;
}
