import type { z } from 'zod';
import type { DetectionCategory, DetectionTriggeredV1, Severity, VigilEvent } from '@vigil/contracts';
import type { EventAttrs } from '../db/schema';
import type { SprayParams, SprayWindow } from '../rules/org-window';
import type { WindowCount, WindowMeasure } from '../rules/sliding-window';
import type { CommonSettings } from './settings';

/** Which column of an observed event a key is made of. */
export type KeyKind = 'ip' | 'account';

/** An event as the rules see it once observed: time, who, from where, and a few facts. */
export interface Observed {
  eventId: string;
  type: string;
  at: number;
  ip: string | null;
  account: string | null;
  attrs: EventAttrs | null;
}

/** The parts of `detection.triggered` a rule writes; the engine adds ids, rule, window and count. */
export type DetectionText = Pick<DetectionTriggeredV1, 'title' | 'summary' | 'correlationKey' | 'evidence'> &
  Partial<Pick<DetectionTriggeredV1, 'affectedPerson' | 'remediation' | 'severity'>>;

interface RuleBase<S extends CommonSettings> {
  /** `<category>.<what>`; stable forever (detection ids and correlation keys are derived from it). */
  id: string;
  version: number;
  category: DetectionCategory;
  severity: Severity;
  title: string;
  /** One paragraph for the API and docs: what it sees and why it matters. */
  description: string;
  /** The event types dispatched to the rule. */
  eventTypes: readonly string[];
  /** The org-level settings: every field has a default, so `{}` parses to the defaults. */
  settings: z.ZodType<S>;
}

/**
 * "At least `threshold` (measured) events of one key within a sliding window" (sliding-window.ts):
 * the engine keeps the window state; the rule says which events count, by what key, and how to read.
 */
export interface WindowRule<S extends CommonSettings & { threshold: number; windowSeconds: number } = CommonSettings & { threshold: number; windowSeconds: number }>
  extends RuleBase<S> {
  kind: 'window';
  /** The key the rule counts by (a column of the observed event). */
  keyKind: KeyKind;
  /** Beyond enabled and the allow-lists: does this event count for the rule under these settings? */
  counts?(e: Observed, settings: S): boolean;
  /** Default: events. */
  measure?: WindowMeasure<Observed>;
  describe(args: { key: string; window: WindowCount; events: readonly Observed[]; settings: S }): DetectionText;
}

/** What an event rule reads besides the event: other observed events of the same IP or account. */
export interface StateView {
  /** Observed events of `type` with this key, sorted by time (the engine loaded them for `reads`). */
  events(type: string, kind: KeyKind, value: string): readonly Observed[];
}

export interface EventFinding extends DetectionText {
  /** Makes the detection id: the same finding on a redo gets the same id. */
  idParts: string[];
  windowStart: number;
  windowEnd: number;
  count: number;
  threshold: number;
  /** Flags an observed event so the same finding is not raised again (see success-after-failures). */
  mark?: { event: Observed; flag: string };
}

/**
 * A rule that judges one event at a time, possibly against observed history (`reads`). No cluster
 * state: each finding has its own deterministic id.
 */
export interface EventRule<S extends CommonSettings = CommonSettings> extends RuleBase<S> {
  kind: 'event';
  /** Observed history the rule looks at, by the event's own IP/account. */
  reads?: readonly { type: string; kind: KeyKind }[];
  evaluate(args: { event: VigilEvent<string, any>; observed?: Observed; settings: S; state: StateView }): EventFinding[];
}

/**
 * A rule over all of an org's events of its one type (password spraying): the engine keeps one
 * org-wide window per org (engine/org-state.ts over rules/org-window.ts), rebuilt from observed_events.
 */
export interface OrgRule<S extends CommonSettings = CommonSettings> extends RuleBase<S> {
  kind: 'org';
  /** The org window's parameters under these settings (lateness is the engine's). */
  params(settings: S): Omit<SprayParams, 'latenessMs'>;
  describe(args: { orgId: string; window: SprayWindow; settings: S }): DetectionText;
}

export type DetectionRule = WindowRule<any> | EventRule<any> | OrgRule<any>;
