/**
 * The chaos suite's traffic: login noise from many IPs with attacks mixed in, as a producer would send
 * it. Deterministic for a seed (which actors, how many failures, which IPs); event times are "now-ish"
 * (never in the future, at most ~20 minutes old). Only documentation address ranges appear in payloads.
 */

export type ActorKind = 'noise' | 'user' | 'near-miss' | 'slow' | 'attack' | 'repeat-attack' | 'cross-org-attack' | 'canary';

export interface ProducerEvent {
  /** The producer's own id (CloudEvents `id`); retries resend the same one. */
  producerId: string;
  orgIndex: number;
  type: 'login.failed' | 'login.succeeded';
  ip: string;
  username: string;
  /** Event time, ms since the epoch. */
  at: number;
  actor: ActorKind;
}

export const EVENT_SOURCE = 'https://app.example.test/login';

const SEC = 1000;
const MIN = 60 * SEC;

/** mulberry32: tiny, seedable, good enough to pick traffic shapes reproducibly. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const V4_RANGES = ['198.51.100', '203.0.113', '192.0.2'];

/** The n-th address: the three IPv4 documentation /24s first, then 2001:db8::/32. */
export function documentationIp(n: number): string {
  if (n < V4_RANGES.length * 254) return `${V4_RANGES[Math.floor(n / 254)]}.${(n % 254) + 1}`;
  const m = n - V4_RANGES.length * 254;
  return `2001:db8:c4a0:${(0x1000 + Math.floor(m / 0xfff0)).toString(16)}::${((m % 0xfff0) + 1).toString(16)}`;
}

const WEIGHTS: [Exclude<ActorKind, 'canary'>, number][] = [
  ['noise', 50],
  ['user', 18],
  ['near-miss', 7],
  ['slow', 5],
  ['attack', 12],
  ['repeat-attack', 4],
  ['cross-org-attack', 4],
];

export interface Workload {
  /** Up to `size` events for one organisation, interleaved from that org's active actors. */
  nextBatch(orgIndex: number, size: number): ProducerEvent[];
  /** A small, fresh attack (6 failures from a new IP) used to see the pipeline work end to end. */
  canary(orgIndex: number): { ip: string; events: ProducerEvent[] };
  /** Actors started so far, by kind. */
  actorCounts(): Record<ActorKind, number>;
}

export function createWorkload(opts: { seed: number; orgs: number; activeActorsPerOrg?: number; now?: () => number }): Workload {
  const random = prng(opts.seed);
  const now = opts.now ?? Date.now;
  const activePerOrg = opts.activeActorsPerOrg ?? 24;
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  const jitter = (ms: number) => Math.round((random() * 2 - 1) * ms);
  let nextIp = 0;
  let nextEvent = 0;
  let nextUser = 0;
  const counts = Object.fromEntries([...WEIGHTS.map(([k]) => [k, 0]), ['canary', 0]]) as Record<ActorKind, number>;
  const active: ProducerEvent[][][] = Array.from({ length: opts.orgs }, () => []);
  /** Queues for other orgs created by a cross-org actor; they join those orgs' active sets. */
  const handoff: ProducerEvent[][][] = Array.from({ length: opts.orgs }, () => []);

  const event = (orgIndex: number, actor: ActorKind, type: ProducerEvent['type'], ip: string, username: string, at: number): ProducerEvent => ({
    producerId: `chaos-${opts.seed.toString(36)}-${(nextEvent++).toString(36)}`,
    orgIndex,
    type,
    ip,
    username,
    // Never ahead of the clock: the product may refuse events from the future.
    at: Math.min(at, now()),
    actor,
  });
  const user = () => `user${nextUser++}@example.test`;

  /** `count` failures within `spreadMs` ending near `end`. */
  const burst = (orgIndex: number, actor: ActorKind, ip: string, end: number, count: number, spreadMs: number): ProducerEvent[] => {
    const name = user();
    return Array.from({ length: count }, (_, i) => event(orgIndex, actor, 'login.failed', ip, name, end - spreadMs + Math.round((spreadMs * i) / Math.max(count - 1, 1)) + jitter(200)));
  };

  const shuffle = <T>(xs: T[]): T[] => {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [xs[i], xs[j]] = [xs[j]!, xs[i]!];
    }
    return xs;
  };

  const pickKind = (): Exclude<ActorKind, 'canary'> => {
    const total = WEIGHTS.reduce((s, [, w]) => s + w, 0);
    let r = random() * total;
    for (const [k, w] of WEIGHTS) {
      if ((r -= w) < 0) return k;
    }
    return 'noise';
  };

  const newActor = (orgIndex: number): ProducerEvent[] => {
    const kind = opts.orgs > 1 ? pickKind() : ((k) => (k === 'cross-org-attack' ? 'attack' : k))(pickKind());
    counts[kind]++;
    const ip = documentationIp(nextIp++);
    const t = now() - 2 * SEC;
    switch (kind) {
      case 'noise': {
        const name = user();
        const fails = Array.from({ length: int(1, 3) }, () => event(orgIndex, kind, 'login.failed', ip, name, t - int(0, 90) * SEC));
        // Sometimes the user gets it right in the end.
        return random() < 0.3 ? [...fails, event(orgIndex, kind, 'login.succeeded', ip, name, t)] : fails;
      }
      case 'user': {
        const name = user();
        return Array.from({ length: int(1, 2) }, () => event(orgIndex, kind, 'login.succeeded', ip, name, t - int(0, 60) * SEC));
      }
      case 'near-miss':
        return burst(orgIndex, kind, ip, t, 4, int(2, 30) * SEC);
      case 'slow':
        // Five failures 4 minutes apart: one cluster, but no 15-minute window ever holds five.
        return shuffle(Array.from({ length: 5 }, (_, i) => event(orgIndex, kind, 'login.failed', ip, user(), t - (16 - 4 * i) * MIN + jitter(10 * SEC))));
      case 'attack':
        return burst(orgIndex, kind, ip, t, int(5, 9), int(1, 8) * SEC);
      case 'repeat-attack': {
        // Two attacks 20 minutes apart on the same IP: two detections, one incident. Sent in either order.
        const older = burst(orgIndex, kind, ip, t - 20 * MIN, int(5, 7), int(1, 5) * SEC);
        const newer = burst(orgIndex, kind, ip, t, int(5, 7), int(1, 5) * SEC);
        return random() < 0.5 ? [...older, ...newer] : [...newer, ...older];
      }
      case 'cross-org-attack': {
        // The same IP attacks another organisation too: one incident in each, never shared.
        const other = (orgIndex + 1 + int(0, opts.orgs - 2)) % opts.orgs;
        handoff[other]!.push(burst(other, kind, ip, t, int(5, 7), int(1, 5) * SEC));
        return burst(orgIndex, kind, ip, t, int(5, 7), int(1, 5) * SEC);
      }
    }
  };

  return {
    nextBatch(orgIndex, size) {
      const actors = active[orgIndex]!;
      const out: ProducerEvent[] = [];
      while (out.length < size) {
        while (handoff[orgIndex]!.length) actors.push(handoff[orgIndex]!.shift()!);
        while (actors.length < activePerOrg) actors.push(newActor(orgIndex));
        const i = Math.floor(random() * actors.length);
        const queue = actors[i]!;
        out.push(queue.shift()!);
        if (!queue.length) actors.splice(i, 1);
      }
      return out;
    },
    canary(orgIndex) {
      counts.canary++;
      const ip = documentationIp(nextIp++);
      return { ip, events: burst(orgIndex, 'canary', ip, now() - SEC, 6, 3 * SEC) };
    },
    actorCounts: () => ({ ...counts }),
  };
}
