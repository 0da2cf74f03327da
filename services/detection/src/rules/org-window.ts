/**
 * Password spraying: an org-wide sliding window over failed logins (docs/detection-rules.md, rule 4).
 *
 * Definition (the oracle `referenceSpraying` computes from scratch): take the org's counted failures
 * (account known, not allow-listed) by event time. A window (x - W, x], x an event time, qualifies when
 * at least `accounts` distinct accounts have between 1 and `maxPerAccount` failures in it (a "light"
 * account: more is brute force on that account, not spraying) and those light accounts' failures come
 * from at least `ips` distinct IPs. Qualifying window ends no more than W apart are one attack (one
 * detection); a new attack needs more than W without a qualifying window.
 *
 * The measure is not monotone (one more failure can push an account over the ceiling), so a window is
 * judged twice: eagerly, as soon as a later failure of the org has come (the "head" window: the newest
 * counted failure time before the org's newest failure, so an attack in progress is seen at once and
 * an in-order stream is judged exactly, ties included), and finally, once the org's newest failure is more than the allowed
 * lateness D past the window's end (the "final" sweep, which visits every window end in time order,
 * with every failure up to D late already in). Both move incrementally over one time-sorted list:
 * per failure O(log n + maxPerAccount), no scan of the org's window.
 *
 * Bound: with every failure at most D behind the org's newest failure when it arrives, the detections
 * equal the definition's, except that an eager detection is never withdrawn: a failure arriving late
 * that pushes an account of an already detected window over the ceiling leaves that detection standing.
 * An eager detection that could later be bridged to an earlier attack by windows not yet judged is
 * deferred to the final sweep instead (so the sweep, not arrival order, decides one attack or two).
 */

/** One counted failure: an account is required, the IP may be missing. */
export interface Failure {
  at: number;
  eventId: string;
  account: string;
  ip: string | null;
}

export interface SprayParams {
  windowMs: number;
  /** Light accounts a window needs. */
  accounts: number;
  /** Distinct IPs of the light accounts' failures a window needs. */
  ips: number;
  /** An account is light while it has at most this many failures in the window. */
  maxPerAccount: number;
  /** The allowed lateness D: windows ending more than D before the newest failure are final. */
  latenessMs: number;
}

/** One attack: the first and last qualifying window ends, the detection it raised, its most accounts. */
export interface SprayAttack {
  detectionId: string;
  start: number;
  end: number;
  eventCount: number;
}

/** A qualifying window, described for the detection: light accounts' failures in it. */
export interface SprayWindow {
  /** The window's right edge x. */
  end: number;
  /** The earliest light-account failure in it. */
  first: number;
  accounts: number;
  ips: number;
  failures: Failure[];
}

const byTime = (a: Failure, b: Failure) => a.at - b.at || (a.eventId < b.eventId ? -1 : a.eventId > b.eventId ? 1 : 0);

/** Index of the first element not before `e` (byTime). */
function lowerBound(list: readonly Failure[], e: Failure): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (byTime(list[mid]!, e) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Index of the first element with at > t. */
function firstAfter(list: readonly Failure[], t: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]!.at <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

const CHUNK = 512;

/**
 * Failures sorted by (time, id) in chunks of at most 2 * CHUNK: an out-of-order insert moves at most
 * one chunk, so a shuffled hour of a busy org costs O(log n + CHUNK) per failure, not O(n).
 */
export class SortedFailures {
  private chunks: Failure[][] = [];
  size = 0;

  /** The chunk that holds (or would hold) `e`: the last whose first element is not after it. */
  private chunkOf(e: Failure): number {
    let lo = 0;
    let hi = this.chunks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (byTime(this.chunks[mid]![0]!, e) <= 0) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Adds `e` in order; false when it is already there (same time and id). */
  insert(e: Failure): boolean {
    if (!this.chunks.length) {
      this.chunks.push([e]);
      this.size = 1;
      return true;
    }
    const c = this.chunkOf(e);
    const chunk = this.chunks[c]!;
    const last = chunk[chunk.length - 1]!;
    const i = byTime(last, e) < 0 ? chunk.length : lowerBound(chunk, e);
    if (i < chunk.length && byTime(chunk[i]!, e) === 0) return false;
    if (i === chunk.length) chunk.push(e);
    else chunk.splice(i, 0, e);
    this.size++;
    if (chunk.length > 2 * CHUNK) this.chunks.splice(c + 1, 0, chunk.splice(CHUNK));
    return true;
  }

  has(e: Failure): boolean {
    if (!this.chunks.length) return false;
    const chunk = this.chunks[this.chunkOf(e)]!;
    const i = lowerBound(chunk, e);
    return i < chunk.length && byTime(chunk[i]!, e) === 0;
  }

  /** The greatest time before t (undefined: none). */
  timeBefore(t: number): number | undefined {
    let lo = 0;
    let hi = this.chunks.length;
    // the number of chunks starting before t
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.chunks[mid]![0]!.at < t) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return undefined;
    const chunk = this.chunks[lo - 1]!;
    let a = 0;
    let b = chunk.length;
    while (a < b) {
      const mid = (a + b) >>> 1;
      if (chunk[mid]!.at < t) a = mid + 1;
      else b = mid;
    }
    return chunk[a - 1]!.at;
  }

  /** Calls `fn` for every failure with from < at <= to, in order. */
  forEachBetween(from: number, to: number, fn: (f: Failure) => void): void {
    if (to <= from) return;
    let c = this.firstChunkAfter(from);
    if (c < 0) return;
    for (let i = firstAfter(this.chunks[c]!, from); c < this.chunks.length; c++, i = 0) {
      const chunk = this.chunks[c]!;
      for (; i < chunk.length; i++) {
        if (chunk[i]!.at > to) return;
        fn(chunk[i]!);
      }
    }
  }

  /** Distinct times t with from < t <= to, in order (the window ends to visit). */
  timesBetween(from: number, to: number): number[] {
    const out: number[] = [];
    this.forEachBetween(from, to, (f) => {
      if (out[out.length - 1] !== f.at) out.push(f.at);
    });
    return out;
  }

  /** Drops every failure with at <= t. */
  dropThrough(t: number): void {
    let whole = 0;
    while (whole < this.chunks.length && this.chunks[whole]![this.chunks[whole]!.length - 1]!.at <= t) this.size -= this.chunks[whole++]!.length;
    if (whole) this.chunks.splice(0, whole);
    const first = this.chunks[0];
    if (first && first[0]!.at <= t) {
      const n = firstAfter(first, t);
      first.splice(0, n);
      this.size -= n;
    }
  }

  /** The first chunk holding an element with at > t (-1: none). */
  private firstChunkAfter(t: number): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = this.chunks[mid]!;
      if (chunk[chunk.length - 1]!.at <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.chunks.length ? lo : -1;
  }
}

/**
 * The measure of one window (end - W, end]: failures per account, how many accounts are light, and
 * the distinct IPs of the light accounts' failures. Adding or removing a failure costs O(log k), plus
 * O(maxPerAccount) when its account crosses the ceiling.
 */
export class Tally {
  end = -Infinity;
  light = 0;
  private readonly byAccount = new Map<string, Failure[]>();
  private readonly ipCounts = new Map<string, number>();

  constructor(private readonly maxPerAccount: number) {}

  get ips(): number {
    return this.ipCounts.size;
  }

  /** The account is light in this window (1..maxPerAccount failures). */
  isLight(account: string): boolean {
    const n = this.byAccount.get(account)?.length ?? 0;
    return n >= 1 && n <= this.maxPerAccount;
  }

  clear(): void {
    this.byAccount.clear();
    this.ipCounts.clear();
    this.light = 0;
    this.end = -Infinity;
  }

  add(f: Failure): void {
    let list = this.byAccount.get(f.account);
    if (!list) this.byAccount.set(f.account, (list = []));
    const last = list[list.length - 1];
    if (!last || byTime(last, f) < 0) list.push(f);
    else list.splice(lowerBound(list, f), 0, f);
    const n = list.length;
    if (n <= this.maxPerAccount) {
      if (n === 1) this.light++;
      this.addIp(f.ip);
    } else if (n === this.maxPerAccount + 1) {
      // Over the ceiling: the account and the IPs of its other failures stop counting.
      this.light--;
      for (const g of list) if (g !== f) this.removeIp(g.ip);
    }
  }

  remove(f: Failure): void {
    const list = this.byAccount.get(f.account);
    if (!list) return;
    const i = list[0] === f ? 0 : lowerBound(list, f);
    if (list[i] !== f) return;
    list.splice(i, 1);
    const n = list.length;
    if (n < this.maxPerAccount) {
      this.removeIp(f.ip);
      if (n === 0) {
        this.light--;
        this.byAccount.delete(f.account);
      }
    } else if (n === this.maxPerAccount) {
      // Back under the ceiling: the account counts again, with the IPs of what is left.
      this.light++;
      for (const g of list) this.addIp(g.ip);
    }
  }

  private addIp(ip: string | null): void {
    if (ip !== null) this.ipCounts.set(ip, (this.ipCounts.get(ip) ?? 0) + 1);
  }

  private removeIp(ip: string | null): void {
    if (ip === null) return;
    const n = this.ipCounts.get(ip)! - 1;
    if (n === 0) this.ipCounts.delete(ip);
    else this.ipCounts.set(ip, n);
  }
}

/** What one failure changed: a new attack (to raise), and attack rows to write or delete. */
export interface SprayOutcome {
  triggered?: { attack: SprayAttack; window: SprayWindow };
  saved: SprayAttack[];
  absorbed: string[];
}

/**
 * One org's spraying state: its counted failures from (final end - W) on, the newest failure of any
 * kind (the event-time clock), the head and final windows, and the attacks that can still be joined.
 * Everything is a function of the org's stored failures and attack rows, so `OrgWindow.rebuild` from
 * PostgreSQL gives exactly the state of a process that never stopped.
 */
export class OrgWindow {
  readonly failures = new SortedFailures();
  newest: number | null = null;
  readonly attacks: SprayAttack[] = [];
  private readonly head: Tally;
  private readonly fin: Tally;

  constructor(readonly params: SprayParams) {
    this.head = new Tally(params.maxPerAccount);
    this.fin = new Tally(params.maxPerAccount);
  }

  /** Windows ending at or before this are final (judged by the sweep). */
  get finalEnd(): number {
    return this.newest === null ? -Infinity : this.newest - this.params.latenessMs - 1;
  }

  /** Oldest failure time any window still to be judged can hold (exclusive). */
  get horizon(): number {
    return this.finalEnd - this.params.windowMs;
  }

  /**
   * The state after `failures` (counted ones, any order) with `newest` the newest failure of the org of
   * any kind, and the stored attacks: what a process that saw them one by one holds.
   */
  static rebuild(params: SprayParams, newest: number | null, failures: Iterable<Failure>, attacks: Iterable<SprayAttack>): OrgWindow {
    const w = new OrgWindow(params);
    w.newest = newest;
    const horizon = w.horizon;
    for (const f of failures) if (f.at > horizon) w.failures.insert(f);
    w.moveTally(w.fin, w.finalEnd);
    const head = w.headEnd();
    if (head !== undefined) w.moveTally(w.head, head);
    for (const a of attacks) if (a.end + params.windowMs > w.finalEnd) w.attacks.push({ ...a });
    w.attacks.sort((a, b) => a.start - b.start || a.detectionId.localeCompare(b.detectionId));
    return w;
  }

  /**
   * Folds in one failure of the org: `counted` when it counts for the rule (else only the clock
   * moves). `detectionId` names an attack this failure starts (derived only then).
   */
  observe(at: number, counted: Failure | null, detectionId: () => string): SprayOutcome {
    const out: SprayOutcome = { saved: [], absorbed: [] };
    let headChanged = false;
    if (counted && counted.at > this.horizon && this.failures.insert(counted)) {
      const f = counted;
      const W = this.params.windowMs;
      if (f.at > this.fin.end - W && f.at <= this.fin.end) this.fin.add(f);
      if (f.at > this.head.end - W && f.at <= this.head.end) {
        this.head.add(f);
        headChanged = true;
      }
    }
    if (this.newest === null || at > this.newest) {
      this.newest = at;
      this.sweep(out, detectionId);
    }
    const head = this.headEnd();
    if (head !== undefined && head > this.head.end) {
      this.moveTally(this.head, head);
      headChanged = true;
    }
    if (headChanged && this.head.end > this.finalEnd) this.judge(this.head, true, out, detectionId);
    return out;
  }

  /**
   * The head window ends at the newest counted failure strictly before the org's newest failure: in
   * time order, once a later failure has come, every failure at that time is in (ties included).
   * Undefined when that window is already final.
   */
  private headEnd(): number | undefined {
    if (this.newest === null) return undefined;
    const x = this.failures.timeBefore(this.newest);
    return x !== undefined && x > this.finalEnd ? x : undefined;
  }

  /** Judges every window end up to the new final end, in time order, then forgets what no window can hold. */
  private sweep(out: SprayOutcome, detectionId: () => string): void {
    const to = this.finalEnd;
    if (to <= this.fin.end) return;
    for (const x of this.failures.timesBetween(this.fin.end, to)) {
      this.moveTally(this.fin, x);
      this.judge(this.fin, false, out, detectionId);
    }
    this.moveTally(this.fin, to);
    this.failures.dropThrough(this.horizon);
    if (this.head.end <= to) this.head.clear();
    for (let i = this.attacks.length - 1; i >= 0; i--) if (this.attacks[i]!.end + this.params.windowMs <= to) this.attacks.splice(i, 1);
  }

  /** Slides a tally's window to end at `x` (x >= its end), adding and removing what crosses its edges. */
  private moveTally(t: Tally, x: number): void {
    const W = this.params.windowMs;
    if (x <= t.end) return;
    if (t.end === -Infinity || x - W >= t.end) {
      t.clear();
      this.failures.forEachBetween(x - W, x, (f) => t.add(f));
    } else {
      this.failures.forEachBetween(t.end - W, x - W, (f) => t.remove(f));
      this.failures.forEachBetween(t.end, x, (f) => t.add(f));
    }
    t.end = x;
  }

  private qualifies(t: Tally): boolean {
    return t.light >= this.params.accounts && t.ips >= this.params.ips;
  }

  /** The window (t.end - W, t.end]: joins the attack it is within W of, or starts one. */
  private judge(t: Tally, eager: boolean, out: SprayOutcome, detectionId: () => string): void {
    if (!this.qualifies(t)) return;
    const W = this.params.windowMs;
    const x = t.end;
    const near = this.attacks.filter((a) => x >= a.start - W && x <= a.end + W);
    if (near.length) {
      const [primary, ...absorbed] = near;
      const merged: SprayAttack = {
        detectionId: primary!.detectionId,
        start: Math.min(x, ...near.map((a) => a.start)),
        end: Math.max(x, ...near.map((a) => a.end)),
        eventCount: Math.max(t.light, ...near.map((a) => a.eventCount)),
      };
      const changed = merged.start !== primary!.start || merged.end !== primary!.end || merged.eventCount !== primary!.eventCount || absorbed.length > 0;
      if (!changed) return;
      for (const a of absorbed) this.attacks.splice(this.attacks.indexOf(a), 1);
      Object.assign(primary!, merged);
      this.attacks.sort((a, b) => a.start - b.start || a.detectionId.localeCompare(b.detectionId));
      out.saved = out.saved.filter((s) => !absorbed.some((a) => a.detectionId === s.detectionId) && s.detectionId !== merged.detectionId);
      out.saved.push({ ...merged });
      out.absorbed.push(...absorbed.map((a) => a.detectionId));
      return;
    }
    // Windows between the final end and x are not judged yet: if they could link x to an attack,
    // the sweep decides (in order) rather than this early look.
    if (eager && this.attacks.some((a) => a.end + W > this.finalEnd)) return;
    const attack: SprayAttack = { detectionId: detectionId(), start: x, end: x, eventCount: t.light };
    this.attacks.push(attack);
    this.attacks.sort((a, b) => a.start - b.start || a.detectionId.localeCompare(b.detectionId));
    out.saved.push({ ...attack });
    out.triggered = { attack: { ...attack }, window: this.describe(t) };
  }

  private describe(t: Tally): SprayWindow {
    const failures: Failure[] = [];
    this.failures.forEachBetween(t.end - this.params.windowMs, t.end, (f) => {
      if (t.isLight(f.account)) failures.push(f);
    });
    return { end: t.end, first: failures[0]?.at ?? t.end, accounts: t.light, ips: t.ips, failures };
  }
}

/** The definition, from scratch: the attacks (first and last qualifying window end) among an org's failures. */
export function referenceSpraying(failures: readonly Failure[], params: Omit<SprayParams, 'latenessMs'>): { start: number; end: number }[] {
  const byId = new Map(failures.map((f) => [f.eventId, f]));
  const sorted = [...byId.values()].sort(byTime);
  const W = params.windowMs;
  const ends = [...new Set(sorted.map((f) => f.at))];
  const attacks: { start: number; end: number }[] = [];
  for (const x of ends) {
    const perAccount = new Map<string, Failure[]>();
    for (const f of sorted) if (f.at > x - W && f.at <= x) perAccount.set(f.account, [...(perAccount.get(f.account) ?? []), f]);
    const light = [...perAccount.values()].filter((l) => l.length <= params.maxPerAccount);
    const ips = new Set(light.flat().flatMap((f) => (f.ip === null ? [] : [f.ip])));
    if (light.length < params.accounts || ips.size < params.ips) continue;
    const last = attacks[attacks.length - 1];
    if (last && x - last.end <= W) last.end = x;
    else attacks.push({ start: x, end: x });
  }
  return attacks;
}
