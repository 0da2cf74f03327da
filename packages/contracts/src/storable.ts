import type { FieldError } from './validation';
import { streams } from './streams';

/**
 * What Vigil can store and re-read exactly. PostgreSQL text and jsonb refuse U+0000 and unpaired UTF-16
 * surrogates; JSON has no Infinity (`1e400` parses to it and would be stored as null). Anything the
 * gateway accepts must pass here, or it would be answered "accepted" and then lost in ingest.
 */
export const MAX_EVENT_DEPTH = 32;

/**
 * Largest event, encoded as JSON. A NATS message holds 1 MiB by default; an event must still fit once
 * normalised by ingest and once more inside a dead letter with its headers.
 */
export const MAX_EVENT_BYTES = 256 * 1024;
/** Events per batch: per HTTP request, and per batch message on the ingest subject. */
export const MAX_BATCH_EVENTS = 1000;

export function eventSizeProblem(bytes: number): string | undefined {
  return bytes > MAX_EVENT_BYTES ? `is ${bytes} bytes as JSON; at most ${MAX_EVENT_BYTES}` : undefined;
}

const unstorableChar = /\u0000|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function pointerToken(key: string | number): string {
  return '/' + String(key).replace(/~/g, '~0').replace(/\//g, '~1');
}

function stringProblem(s: string): string | undefined {
  const m = unstorableChar.exec(s);
  if (!m) return undefined;
  return m[0] === '\u0000' ? 'contains U+0000 (NUL), which cannot be stored' : 'contains an unpaired UTF-16 surrogate, which is not valid Unicode';
}

/** `s` with every NUL and unpaired surrogate replaced by U+FFFD: for text Vigil records but must not refuse. */
export function toStorableText(s: string): string {
  return s.replace(new RegExp(unstorableChar.source, 'g'), '\ufffd');
}

/** Problems reported at most per value: enough to fix a batch, bounded whatever it holds. */
const MAX_REPORTED = 20;

/**
 * Every place in `value` that can't be stored as is, as JSON pointers (relative to `prefix`). It
 * descends at most MAX_EVENT_DEPTH levels, so a hostile deeply nested value can't exhaust the stack;
 * the path is one array pushed and popped, spelled out only for a value that is refused (every event
 * passes through here, and a record per value was most of the gateway's garbage per event).
 */
export function unstorableValues(value: unknown, prefix = ''): FieldError[] {
  const errors: FieldError[] = [];
  const path: (string | number)[] = [];
  const refuse = (message: string, last?: string) => {
    const tokens = path.map(pointerToken).join('') + (last === undefined ? '' : pointerToken(last));
    errors.push({ pointer: prefix + tokens || '/', message });
  };
  const visit = (v: unknown, depth: number): void => {
    if (errors.length >= MAX_REPORTED) return;
    if (typeof v === 'string') {
      const problem = stringProblem(v);
      if (problem) refuse(problem);
      return;
    }
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) refuse('number is out of range');
      return;
    }
    if (v === null || typeof v !== 'object') return;
    if (depth >= MAX_EVENT_DEPTH) {
      refuse(`nested deeper than ${MAX_EVENT_DEPTH} levels`);
      return;
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        path.push(i);
        visit(v[i], depth + 1);
        path.pop();
      }
      return;
    }
    for (const k in v) {
      if (!Object.prototype.hasOwnProperty.call(v, k)) continue;
      const problem = k === '__proto__' ? 'is __proto__, which JavaScript parsers drop or turn into a prototype' : stringProblem(k);
      if (problem) {
        refuse(`member name ${problem}`, k);
        if (errors.length >= MAX_REPORTED) return;
        continue;
      }
      path.push(k);
      visit((v as Record<string, unknown>)[k], depth + 1);
      path.pop();
    }
  };
  visit(value, 0);
  return errors;
}

/** Longest sliding window a rule can be configured with (7 days). */
export const MAX_RULE_WINDOW_MS = 7 * 24 * 60 * 60_000;

/** Which event times are plausible, relative to when Vigil received the event. */
export interface EventTimeBounds {
  /** Clock skew tolerated for events "from the future". */
  maxFutureMs: number;
  /** Older than this, no rule window can still use the event and the stream could not replay it. */
  maxAgeMs: number;
}

export const defaultEventTimeBounds: EventTimeBounds = {
  maxFutureMs: 5 * 60_000,
  maxAgeMs: MAX_RULE_WINDOW_MS + streams.ingest.maxAgeDays * 24 * 60 * 60_000,
};

function describeDuration(ms: number): string {
  if (ms % (24 * 60 * 60_000) === 0) return `${ms / (24 * 60 * 60_000)} days`;
  if (ms % (60 * 60_000) === 0) return `${ms / (60 * 60_000)} hours`;
  if (ms % 60_000 === 0) return `${ms / 60_000} minutes`;
  return `${ms / 1000} seconds`;
}

/** A reason why `time` is implausible when received at `receivedAt`, or undefined. */
export function eventTimeProblem(time: Date, receivedAt: Date, bounds: EventTimeBounds): string | undefined {
  const skew = time.getTime() - receivedAt.getTime();
  if (skew > bounds.maxFutureMs) {
    return `is more than ${describeDuration(bounds.maxFutureMs)} in the future (received at ${receivedAt.toISOString()})`;
  }
  if (-skew > bounds.maxAgeMs) {
    return `is more than ${describeDuration(bounds.maxAgeMs)} in the past (received at ${receivedAt.toISOString()}); no rule window or replay reaches that far`;
  }
  return undefined;
}
