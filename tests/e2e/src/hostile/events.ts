import fc from 'fast-check';
import { dataschemaFor } from '@vigil/contracts';
import { Obj, Raw, nested, toJson, type J } from './json';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * What the contract promises for one generated event: `accept` (valid, new id), `reject` (must be
 * refused with a reason), `either` (storable but unusual; refused or stored, never lost), `duplicate`
 * (a valid copy of an event already accepted).
 */
export type Expectation = 'accept' | 'reject' | 'either' | 'duplicate';

export interface GeneratedEvent {
  /** JSON text of the event (UTF-16; JSON.stringify escapes lone surrogates, so it encodes losslessly). */
  text: string;
  expect: Expectation;
  /** Which generator made it, for failure reports. */
  kind: string;
  /** The producer's (source, id) when both are strings: the event's identity if it is stored. */
  key?: { source: string; id: string };
}

/** State the generated recipes are materialised against: the clock, the orgs, ids already used. */
export class Materialiser {
  private n = 0;
  /** Keys (and texts) of valid events accepted so far on this transport, for cross-batch duplicates. */
  readonly accepted: { key: { source: string; id: string }; text: string }[] = [];

  constructor(
    readonly prefix: string,
    readonly orgId: string,
    readonly otherOrgId: string,
  ) {}

  /** Unique per event, at most 10 UTF-16 units, so generated ids stay within 128. */
  uid(): string {
    this.n += 1;
    return `${this.prefix}${this.n.toString(36)}:`;
  }
}

// ---------------------------------------------------------------------------------------------------
// Storable text: everything PostgreSQL and JSON can carry exactly. Control characters (not NUL),
// noncharacters, bidi overrides, BOMs, astral code points and multi-unit emoji sequences included.

const printable = fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c));
const control = fc.integer({ min: 1, max: 0x1f }).map((c) => String.fromCharCode(c));
const odd = fc.constantFrom('\u007f', '\u0085', '\u00a0', '\u2028', '\u2029', '\u200b', '\u202e', '\ufeff', '\ufffe', '\uffff', '\\', '"', '~1', '😀', '👩‍💻', '🇫🇷', '𝕏', 'ü', 'ß', '中', '\u{10ffff}');
const anyCodePoint = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => c !== '\u0000');
const storableUnit = fc.oneof({ weight: 6, arbitrary: printable }, { weight: 2, arbitrary: control }, { weight: 2, arbitrary: anyCodePoint }, { weight: 1, arbitrary: odd });
/** Longest unit above is 5 UTF-16 code units (👩‍💻); bounding by it keeps any length measure within the limit. */
const LONGEST_UNIT = 5;

export function storableText(minUnits: number, maxUnits: number): fc.Arbitrary<string> {
  return fc.string({ unit: storableUnit, minLength: minUnits, maxLength: Math.max(minUnits, Math.floor(maxUnits / LONGEST_UNIT)) });
}

const leafNumber = fc.oneof(
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(new Raw('-0'), new Raw('18446744073709551616'), new Raw('1e308'), new Raw('5e-324'), new Raw('1e-400'), new Raw('-0.0e+0'), new Raw('123456789012345678901234567890')),
);

/** Arbitrary storable JSON (shallow): extension attribute values. */
const storableJson: fc.Arbitrary<J> = fc.letrec<{ json: J; arr: J[]; obj: Obj }>((tie) => ({
  json: fc.oneof({ maxDepth: 4, depthSize: 'small' }, fc.constant(null), fc.boolean(), leafNumber, storableText(0, 60), tie('arr'), tie('obj')),
  arr: fc.array(tie('json'), { maxLength: 4 }),
  obj: fc.array(fc.tuple(storableText(0, 20).filter((k) => k !== '__proto__'), tie('json')), { maxLength: 4 }).map((m) => new Obj(m)),
})).json;

const CORE_ATTRIBUTES = new Set(['specversion', 'id', 'source', 'type', 'time', 'subject', 'datacontenttype', 'dataschema', 'orgid', 'data']);
const extensionName = fc.oneof(
  { weight: 6, arbitrary: fc.stringMatching(/^[a-z0-9]{1,20}$/).filter((n) => !CORE_ATTRIBUTES.has(n)) },
  // Valid CloudEvents names that are also Object.prototype members.
  { weight: 1, arbitrary: fc.constantFrom('constructor', 'prototype', 'tostring', 'valueof', 'hasownproperty') },
);

// ---------------------------------------------------------------------------------------------------
// Valid events.

const validRecipe = fc.record({
  type: fc.constantFrom('login.failed', 'login.succeeded'),
  idTail: fc.oneof({ weight: 8, arbitrary: storableText(0, 95) }, { weight: 1, arbitrary: fc.constant('x'.repeat(118)) }),
  source: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom('https://app.example.test/login', 'urn:app:login', '/', 'https://ü.example/🔑?a=b#c') },
    { weight: 2, arbitrary: storableText(1, 500) },
    { weight: 1, arbitrary: fc.constant('s'.repeat(512)) },
  ),
  time: fc.option(
    fc.record({
      // Inside the bounds (5 minutes ahead, 14 days back) with a margin for the suite's own run time.
      offsetMs: fc.oneof(fc.integer({ min: -13 * DAY, max: 4 * MINUTE }), fc.constantFrom(0, 4 * MINUTE, -13 * DAY)),
      zoneMinutes: fc.option(fc.integer({ min: -12 * 60, max: 14 * 60 }), { nil: undefined }),
      fraction: fc.constantFrom('', '.5', '.123', '.123456', '.123456789'),
    }),
    { nil: undefined },
  ),
  subject: fc.option(storableText(0, 510), { nil: undefined }),
  datacontenttype: fc.boolean(),
  dataschema: fc.boolean(),
  ownOrgid: fc.boolean(),
  extensions: fc.array(fc.tuple(extensionName, storableJson), { maxLength: 3 }),
  ip: fc.oneof(fc.ipV4(), fc.ipV6()),
  username: fc.option(fc.oneof({ weight: 6, arbitrary: storableText(1, 320) }, { weight: 1, arbitrary: fc.constant('u'.repeat(320)) }, { weight: 1, arbitrary: fc.constant('😀'.repeat(320)) }), { nil: undefined }),
  userId: fc.option(storableText(1, 128), { nil: undefined }),
  userAgent: fc.option(storableText(0, 1024), { nil: undefined }),
  reason: fc.option(fc.constantFrom('invalid_password', 'invalid_username', 'account_locked', 'mfa_failed', 'other'), { nil: undefined }),
  mfa: fc.option(fc.boolean(), { nil: undefined }),
});
type ValidRecipe = typeof validRecipe extends fc.Arbitrary<infer T> ? T : never;

function renderTime(at: number, zoneMinutes: number | undefined, fraction: string): string {
  if (zoneMinutes === undefined) return new Date(at).toISOString().slice(0, 19) + fraction + 'Z';
  const local = new Date(at + zoneMinutes * MINUTE).toISOString().slice(0, 19);
  const abs = Math.abs(zoneMinutes);
  return `${local}${fraction}${zoneMinutes < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

function buildValid(r: ValidRecipe, m: Materialiser): Obj {
  const data = new Obj([['ip', r.ip]]);
  if (r.username !== undefined) data.set('username', r.username);
  if (r.userId !== undefined) data.set('userId', r.userId);
  if (r.userAgent !== undefined) data.set('userAgent', r.userAgent);
  if (r.type === 'login.failed' && r.reason !== undefined) data.set('reason', r.reason);
  if (r.type === 'login.succeeded' && r.mfa !== undefined) data.set('mfa', r.mfa);
  const event = new Obj([
    ['specversion', '1.0'],
    ['id', m.uid() + r.idTail],
    ['source', r.source],
    ['type', r.type],
  ]);
  if (r.time) event.set('time', renderTime(Date.now() + r.time.offsetMs, r.time.zoneMinutes, r.time.fraction));
  if (r.subject !== undefined) event.set('subject', r.subject);
  if (r.datacontenttype) event.set('datacontenttype', 'application/json');
  if (r.dataschema) event.set('dataschema', dataschemaFor(r.type, 1));
  if (r.ownOrgid) event.set('orgid', m.orgId);
  for (const [name, value] of r.extensions) event.set(name, value);
  event.set('data', data);
  return event;
}

// ---------------------------------------------------------------------------------------------------
// Hostile mutations of a valid event. Each says what the contract promises for the result.

type Mutate = (event: Obj, m: Materialiser) => { event: J; expect: Expectation } | undefined;
interface Mutation {
  kind: string;
  apply: Mutate;
}

const data = (e: Obj) => e.get('data') as Obj;
const STRING_FIELDS = ['id', 'source', 'type', 'subject', 'dataschema', 'data.ip', 'data.username', 'data.userId', 'data.userAgent', 'ext'] as const;
type Field = (typeof STRING_FIELDS)[number];

function setField(e: Obj, field: Field, value: J): void {
  if (field === 'ext') e.set('xhostile', value);
  else if (field.startsWith('data.')) data(e).set(field.slice(5), value);
  else e.set(field, value);
}

function insertAt(s: string, at: number, what: string): string {
  const i = Math.min(at, s.length);
  // Never split a surrogate pair: that would add a second, unintended lone surrogate.
  const j = i > 0 && /[\ud800-\udbff]/.test(s[i - 1]!) ? i + 1 : i;
  return s.slice(0, j) + what + s.slice(j);
}

const reject = (event: J): { event: J; expect: Expectation } => ({ event, expect: 'reject' });
const either = (event: J): { event: J; expect: Expectation } => ({ event, expect: 'either' });
const accept = (event: J): { event: J; expect: Expectation } => ({ event, expect: 'accept' });

const LONE_SURROGATES = ['\ud800', '\udfff', '\udbff', '\udc00x', 'a\ud83d'];

const mutations: fc.Arbitrary<Mutation>[] = [
  fc.record({ field: fc.constantFrom(...STRING_FIELDS), at: fc.nat(40), base: storableText(0, 40) }).map(({ field, at, base }) => ({
    kind: `U+0000 in ${field}`,
    apply: (e) => (setField(e, field, insertAt(base, at, '\u0000')), reject(e)),
  })),
  fc.record({ where: fc.constantFrom('data', 'top', 'ext-value'), at: fc.nat(10), base: storableText(0, 10) }).map(({ where, at, base }) => ({
    kind: `U+0000 in a member name (${where})`,
    apply: (e) => {
      const name = insertAt(base, at, '\u0000');
      if (where === 'data') data(e).set(name, 'x');
      else if (where === 'top') e.set(name, 'x');
      else e.set('xhostile', new Obj([[name, 1]]));
      return reject(e);
    },
  })),
  fc.record({ field: fc.constantFrom(...STRING_FIELDS), lone: fc.constantFrom(...LONE_SURROGATES), at: fc.nat(40), base: storableText(0, 40) }).map(({ field, lone, at, base }) => ({
    kind: `lone surrogate in ${field}`,
    apply: (e) => (setField(e, field, insertAt(base, at, lone)), reject(e)),
  })),
  fc.record({ where: fc.constantFrom('data', 'ext-value'), lone: fc.constantFrom(...LONE_SURROGATES) }).map(({ where, lone }) => ({
    kind: `lone surrogate in a member name (${where})`,
    apply: (e) => {
      if (where === 'data') data(e).set(lone, 'x');
      else e.set('xhostile', new Obj([[lone, 1]]));
      return reject(e);
    },
  })),
  fc
    .constantFrom<[string, J[]]>(
      ['specversion', [1, new Raw('1.0'), null, true, [], new Obj([]), '0.3', '1', '1.0 ']],
      ['id', [42, new Raw('-0'), null, true, [], new Obj([]), '']],
      ['source', [42, null, false, [], new Obj([]), '']],
      ['type', [42, null, false, [], new Obj([]), '', 'login.teleported', 'Login.Failed', 'login', 'login.failed.', 'incident.created', 'detection.triggered', 'org.created', 'login.failed ']],
      ['time', [42, new Raw('1e400'), null, true, [], new Obj([]), '', 'yesterday', 'now']],
      ['subject', [42, null, [], new Obj([])]],
      ['datacontenttype', [null, 42, 'text/plain', 'application/json; charset=utf-8', 'APPLICATION/JSON']],
      ['dataschema', [null, 42, '', 'urn:vigil:event:login.failed:v2', 'urn:vigil:event:detection.triggered:v1', 'https://schema.example/x']],
      ['orgid', [null, 42, '', 'not-a-uuid', '00000000-0000-0000-0000-00000000000g']],
      ['data', ['a string', 42, null, [], true, new Obj([])]],
      ['data.ip', [2130706433, null, [], new Obj([]), true, new Raw('-0'), '', ' 203.0.113.1', '203.0.113.1 ', '256.1.1.1', '1.2.3', '1.2.3.4.5', '01.02.03.04', '0x7f.1', '１.２.３.４', 'fe80::1%eth0', '1.2.3.4/24', 'localhost', '203.0.113.1\n']],
      ['data.username', [42, null, false, [], new Obj([]), '']],
      ['data.userId', [42, null, false, [], new Obj([]), '']],
      ['data.userAgent', [42, null, false, [], new Obj([])]],
      ['data.reason', ['teleported', 42, null, 'INVALID_PASSWORD']],
      ['data.mfa', ['true', 1, null, new Raw('1e400')]],
    )
    .chain(([field, values]) => fc.constantFrom(...values).map((value) => ({ field, value })))
    .map(({ field, value }) => ({
      kind: `wrong value for ${field}: ${toJson(value)}`,
      apply: (e: Obj) => {
        if (field === 'data') e.set('data', value);
        else if (field.startsWith('data.')) data(e).set(field.slice(5), value);
        else e.set(field, value);
        // login.failed has no mfa: the member is refused there whatever its value.
        return reject(e);
      },
    })),
  fc.constantFrom('specversion', 'id', 'source', 'type', 'data', 'data.ip').map((field) => ({
    kind: `missing ${field}`,
    apply: (e: Obj) => (field.startsWith('data.') ? data(e).delete(field.slice(5)) : e.delete(field), reject(e)),
  })),
  fc
    .record({
      field: fc.constantFrom<[string, number]>(['id', 128], ['source', 512], ['type', 128], ['subject', 512], ['dataschema', 512], ['data.username', 320], ['data.userId', 128], ['data.userAgent', 1024]),
      extra: fc.oneof(fc.integer({ min: 1, max: 10 }), fc.integer({ min: 11, max: 40_000 })),
      emoji: fc.boolean(),
    })
    .map(({ field: [field, max], extra, emoji }) => ({
      kind: `${field} longer than ${max}`,
      apply: (e: Obj) => {
        // Counted in code points, as the contract does: 😀 is one (two UTF-16 units, four UTF-8 bytes).
        const value = field === 'type' ? 'login.' + 'a'.repeat(max) : (emoji ? '😀' : 'x').repeat(max + extra);
        if (field.startsWith('data.')) data(e).set(field.slice(5), value);
        else e.set(field, value);
        return reject(e);
      },
    })),
  fc.constantFrom('id', 'source', 'type', 'data.username', 'data.userId').map((field) => ({
    kind: `empty ${field}`,
    apply: (e: Obj) => (field.startsWith('data.') ? data(e).set(field.slice(5), '') : e.set(field, ''), reject(e)),
  })),
  fc.integer({ min: 10_000, max: 200_000 }).map((size) => ({
    kind: 'large extension value',
    apply: (e: Obj) => accept(e.set('xlarge', 'L'.repeat(size))),
  })),
  fc.record({ where: fc.constantFrom('data', 'ext', 'event'), depth: fc.oneof(fc.integer({ min: 40, max: 200 }), fc.integer({ min: 201, max: 5_000 })), shape: fc.constantFrom<'array' | 'object'>('array', 'object') }).map(({ where, depth, shape }) => ({
    kind: `nested deeper than 32 levels (${where}, ${shape}s)`,
    apply: (e: Obj) => {
      if (where === 'data') data(e).set('deep', nested(depth, shape));
      else if (where === 'ext') e.set('xdeep', nested(depth, shape));
      else return reject(nested(depth, shape, toJson(e)));
      return reject(e);
    },
  })),
  fc.record({ depth: fc.integer({ min: 1, max: 25 }), shape: fc.constantFrom<'array' | 'object'>('array', 'object') }).map(({ depth, shape }) => ({
    kind: 'extension nested at most 25 levels',
    apply: (e: Obj) => accept(e.set('xnested', nested(depth, shape))),
  })),
  fc.constantFrom('1e400', '-1e400', '1E999', '-1e309').map((n) => ({
    kind: `number ${n} (not finite)`,
    apply: (e: Obj) => reject(e.set('xnumber', new Raw(n))),
  })),
  fc.constantFrom('-0', '18446744073709551616', '1e308', '5e-324', '1e-400', '-0.0', '9007199254740993').map((n) => ({
    kind: `number ${n} (finite)`,
    apply: (e: Obj) => accept(e.set('xnumber', new Raw(n))),
  })),
  fc
    .oneof(
      fc.constantFrom('2999-01-01T00:00:00Z', '1970-01-01T00:00:00Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '2026-02-30T25:61:00Z', '2026-02-30T10:00:00Z', '2026-11-25T23:59:60Z', '+275760-09-13T00:00:00Z', '-000001-01-01T00:00:00Z', '2026-13-01T00:00:00Z', '2026-11-25T24:00:00Z', '2026-11-25 10:00:00Z', '2026-11-25T10:00:00', '2026-11-25', '2026-11-25T10:00:00.Z', '2026-11-25T10:00:00+24:00', '2026-11-25t10:00:00z'),
      // Clear of ingest's 1-minute slack over the gateway's 5 minutes.
      fc.integer({ min: 10, max: 10_000_000 }).map((min) => ({ offsetMs: min * MINUTE })),
      fc.integer({ min: 15, max: 100_000 }).map((days) => ({ offsetMs: -days * DAY })),
    )
    .map((t) => ({
      kind: `absurd time ${typeof t === 'string' ? t : t.offsetMs > 0 ? '(minutes to centuries ahead)' : '(weeks to centuries back)'}`,
      apply: (e: Obj) => {
        if (typeof t === 'string') return reject(e.set('time', t));
        const at = Date.now() + t.offsetMs;
        // Beyond what a Date can hold: still an absurd time, written by hand.
        return reject(e.set('time', Number.isFinite(new Date(at).getTime()) ? new Date(at).toISOString() : '+999999-01-01T00:00:00Z'));
      },
    })),
  fc.constantFrom('Ext', 'x-y', 'a'.repeat(21), '', 'ünï', 'with space', '$ref', '__proto__x', 'x.y', 'ID', 'x_y', '0\n').map((name) => ({
    kind: `attribute name ${JSON.stringify(name)}`,
    apply: (e: Obj) => reject(e.set(name, 'x')),
  })),
  fc.constantFrom('other', 'upper').map((which) => ({
    kind: `orgid of ${which === 'other' ? 'another org' : 'this org in upper case'}`,
    apply: (e: Obj, m: Materialiser) => (which === 'other' ? reject(e.set('orgid', m.otherOrgId)) : either(e.set('orgid', m.orgId.toUpperCase()))),
  })),
  fc.constantFrom('first', 'last').map((bogusAt) => ({
    kind: `type given twice, bogus one ${bogusAt}`,
    // JSON.parse keeps the last duplicate member.
    apply: (e: Obj) => (bogusAt === 'first' ? accept(new Obj([['type', 'bogus'], ...e.members])) : reject(new Obj([...e.members, ['type', 'bogus']]))),
  })),
  fc.constantFrom<J>('login.failed', 42, null, true, [], '').map((value) => ({
    kind: `event is ${toJson(value)}`,
    apply: () => reject(value),
  })),
  fc.constant({ kind: 'event wrapped in an array', apply: (e: Obj) => reject([e]) }),
];

/** A hostile event: a valid one with one mutation. */
/**
 * Prototype keys sent as real members (JSON text, not a JS object). Rarer than the rest: a producer
 * almost never sends them, and each one tests how the whole request is parsed, so a few per run do.
 */
const prototypeMutations: fc.Arbitrary<Mutation>[] = [
  fc.constantFrom('top', 'data', 'ext-value').map((where) => ({
    kind: `__proto__ member (${where})`,
    apply: (e: Obj) => {
      const poison = new Obj([['polluted', true], ['isAdmin', true]]);
      if (where === 'top') return reject(new Obj([['__proto__', poison], ...e.members]));
      if (where === 'data') return reject(e.set('data', new Obj([['__proto__', poison], ...data(e).members])));
      return either(e.set('xproto', new Obj([['__proto__', poison]])));
    },
  })),
  fc.constantFrom('data-constructor', 'data-prototype', 'ext-constructor-prototype', 'top-constructor-prototype').map((where) => ({
    kind: `prototype-ish member (${where})`,
    apply: (e: Obj) => {
      const chain = new Obj([['prototype', new Obj([['polluted', true]])]]);
      if (where === 'data-constructor') return reject(e.set('data', data(e).set('constructor', chain)));
      if (where === 'data-prototype') return reject(e.set('data', data(e).set('prototype', new Obj([['polluted', true]]))));
      if (where === 'ext-constructor-prototype') return either(e.set('xctor', new Obj([['constructor', chain]])));
      return either(e.set('constructor', chain));
    },
  })),
];

const hostileRecipe = fc.tuple(
  validRecipe,
  fc.oneof(...mutations.map((arbitrary) => ({ arbitrary, weight: 10 })), ...prototypeMutations.map((arbitrary) => ({ arbitrary, weight: 1 }))),
);
/** A copy of an earlier valid event (same source and id): in this batch, or in an earlier one. */
const duplicateRecipe = fc.record({ across: fc.boolean(), pick: fc.nat() });

export type EventRecipe = { valid: ValidRecipe } | { hostile: [ValidRecipe, Mutation] } | { duplicate: { across: boolean; pick: number } };

export const eventRecipe: fc.Arbitrary<EventRecipe> = fc.oneof(
  { weight: 9, arbitrary: validRecipe.map((valid) => ({ valid })) },
  { weight: 9, arbitrary: hostileRecipe.map((hostile) => ({ hostile })) },
  { weight: 2, arbitrary: duplicateRecipe.map((duplicate) => ({ duplicate })) },
);

function keyOf(event: J): GeneratedEvent['key'] {
  if (!(event instanceof Obj)) return undefined;
  // JSON.parse keeps the last of duplicate members.
  const last = (k: string) => [...event.members].reverse().find(([name]) => name === k)?.[1];
  const source = last('source');
  const id = last('id');
  return typeof source === 'string' && typeof id === 'string' ? { source, id } : undefined;
}

/**
 * Turns recipes into events, in order: duplicates refer to earlier valid events of the same batch
 * (`batch`) or to events accepted in earlier batches (`m.accepted`).
 */
export function materialise(recipe: EventRecipe, m: Materialiser, batch: GeneratedEvent[]): GeneratedEvent {
  if ('valid' in recipe) {
    const event = buildValid(recipe.valid, m);
    return { text: toJson(event), expect: 'accept', kind: 'valid', key: keyOf(event) };
  }
  if ('hostile' in recipe) {
    const [valid, mutation] = recipe.hostile;
    const result = mutation.apply(buildValid(valid, m), m)!;
    return { text: toJson(result.event), expect: result.expect, kind: mutation.kind, key: keyOf(result.event) };
  }
  const pool = recipe.duplicate.across ? m.accepted : batch.filter((g) => g.expect === 'accept' && g.key).map((g) => ({ key: g.key!, text: g.text }));
  const original = pool[recipe.duplicate.pick % Math.max(pool.length, 1)];
  if (!original) return { text: '"no event to duplicate yet"', expect: 'reject', kind: 'event is a string' };
  return { text: original.text, expect: 'duplicate', kind: recipe.duplicate.across ? 'duplicate of an earlier batch' : 'duplicate within the batch', key: original.key };
}

export const validEventRecipe = validRecipe;
