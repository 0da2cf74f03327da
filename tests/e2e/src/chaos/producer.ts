import { EVENT_SOURCE, type ProducerEvent, type Workload } from './workload';

/**
 * A producer behaving like a real SDK: batches POSTed to /v1/events, and a batch without a definitive
 * answer (network error, timeout, 5xx, 429) is sent again, with the same event ids, after a backoff,
 * until the gateway answers it. It records each event's final answer and, per phase of the run, what
 * it took to get there.
 */

export type FinalStatus = 'accepted' | 'duplicate' | 'rejected';

export interface EventRecord {
  event: ProducerEvent;
  status?: FinalStatus;
  /** Vigil id from the gateway's answer. */
  eventId?: string;
  /** Rejection errors as answered, for the report. */
  errors?: unknown;
  phase: string;
}

export interface PhaseStats {
  /** Events first offered in this phase. */
  offered: number;
  /** Of those, answered accepted / duplicate / rejected (eventually, maybe in a later phase). */
  accepted: number;
  duplicates: number;
  rejected: number;
  /** HTTP requests sent in this phase, and how many of them were resends of a batch. */
  requests: number;
  retries: number;
  http5xx: number;
  /** Connection refused/reset and the like. */
  networkErrors: number;
  /** No answer within the request timeout: the gateway hung. */
  timeouts: number;
  /** 4xx other than a batch's validation answer (e.g. 401 while the key store is down). */
  unexpected4xx: number;
  /** Longest time one batch took from first send to definitive answer, ms. */
  maxBatchLatencyMs: number;
  /** Status codes and error kinds seen, for the report. */
  seen: Record<string, number>;
}

const emptyStats = (): PhaseStats => ({
  offered: 0,
  accepted: 0,
  duplicates: 0,
  rejected: 0,
  requests: 0,
  retries: 0,
  http5xx: 0,
  networkErrors: 0,
  timeouts: 0,
  unexpected4xx: 0,
  maxBatchLatencyMs: 0,
  seen: {},
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface BatchAnswer {
  results: { index: number; status: FinalStatus; eventId?: string; errors?: unknown }[];
}

function isBatchAnswer(body: unknown): body is BatchAnswer {
  return typeof body === 'object' && body !== null && Array.isArray((body as { results?: unknown }).results);
}

export interface ProducerOptions {
  gatewayUrl: string;
  /** API key per org index. */
  keys: readonly string[];
  /** Per request; a longer wait counts as a hang. Default 30 s. */
  requestTimeoutMs?: number;
}

export class Producer {
  readonly records = new Map<string, EventRecord>();
  readonly phases = new Map<string, PhaseStats>();
  private phase = 'startup';
  private readonly inflight = new Set<Promise<void>>();
  private loadRunning = false;
  private aborted = false;
  private loadWorkers: Promise<void>[] = [];

  constructor(private readonly opts: ProducerOptions) {}

  setPhase(name: string): void {
    this.phase = name;
  }

  get currentPhase(): string {
    return this.phase;
  }

  stats(phase: string): PhaseStats {
    let s = this.phases.get(phase);
    if (!s) {
      s = emptyStats();
      this.phases.set(phase, s);
    }
    return s;
  }

  /** Sends one batch (one org) until the gateway gives a definitive answer. */
  send(events: ProducerEvent[]): Promise<void> {
    const p = this.sendUntilAnswered(events).finally(() => this.inflight.delete(p));
    this.inflight.add(p);
    return p;
  }

  private async sendUntilAnswered(events: ProducerEvent[]): Promise<void> {
    if (!events.length) return;
    const orgIndex = events[0]!.orgIndex;
    const key = this.opts.keys[orgIndex];
    if (!key) throw new Error(`no API key for org ${orgIndex}`);
    const origin = this.phase;
    const originStats = this.stats(origin);
    originStats.offered += events.length;
    for (const e of events) this.records.set(e.producerId, { event: e, phase: origin });
    const body = JSON.stringify(
      events.map((e) => ({
        specversion: '1.0',
        id: e.producerId,
        source: EVENT_SOURCE,
        type: e.type,
        time: new Date(e.at).toISOString(),
        data: e.type === 'login.failed' ? { ip: e.ip, username: e.username, reason: 'invalid_password' } : { ip: e.ip, username: e.username },
      })),
    );
    const started = Date.now();
    for (let attempt = 0; !this.aborted; attempt++) {
      const s = this.stats(this.phase);
      s.requests++;
      if (attempt > 0) s.retries++;
      const outcome = await this.post(key, body);
      const seenKey = outcome.kind === 'http' ? String(outcome.status) : outcome.kind;
      s.seen[seenKey] = (s.seen[seenKey] ?? 0) + 1;
      if (outcome.kind === 'http') {
        const { status, body: answer } = outcome;
        if ((status === 202 || status === 207 || status === 400) && isBatchAnswer(answer)) {
          for (const r of answer.results) {
            const record = this.records.get(events[r.index]!.producerId)!;
            record.status = r.status;
            record.eventId = r.eventId;
            if (r.status === 'rejected') record.errors = r.errors;
            originStats[r.status === 'accepted' ? 'accepted' : r.status === 'duplicate' ? 'duplicates' : 'rejected']++;
          }
          originStats.maxBatchLatencyMs = Math.max(originStats.maxBatchLatencyMs, Date.now() - started);
          return;
        }
        if (status >= 500) s.http5xx++;
        else if (status !== 429) s.unexpected4xx++;
      } else if (outcome.kind === 'timeout') {
        s.timeouts++;
      } else {
        s.networkErrors++;
      }
      // Exponential backoff with jitter, capped: a recovering gateway is not hammered in lockstep.
      await sleep(Math.min(100 * 2 ** Math.min(attempt, 5), 2000) * (0.5 + Math.random()));
    }
  }

  private async post(key: string, body: string): Promise<{ kind: 'http'; status: number; body: unknown } | { kind: 'timeout' } | { kind: 'network'; code: string }> {
    try {
      const res = await fetch(`${this.opts.gatewayUrl}/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(this.opts.requestTimeoutMs ?? 30_000),
      });
      const text = await res.text();
      let parsed: unknown;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        parsed = text;
      }
      return { kind: 'http', status: res.status, body: parsed };
    } catch (err) {
      const e = err as { name?: string; cause?: { code?: string } };
      if (e.name === 'TimeoutError') return { kind: 'timeout' };
      return { kind: 'network', code: e.cause?.code ?? e.name ?? 'error' };
    }
  }

  /**
   * Offered load: `workers` concurrent senders share a rate of `eventsPerSecond`, each sending
   * batches of `batchSize` for a random load org. A sender blocked on a failing batch offers nothing
   * new meanwhile (like an SDK with a bounded queue); afterwards the rate catches up by at most a few
   * seconds' worth.
   */
  startLoad(opts: { workload: Workload; orgs: number; eventsPerSecond: number; batchSize: number; workers: number; random: () => number }): void {
    if (this.loadRunning) throw new Error('load already running');
    this.loadRunning = true;
    const startedAt = Date.now();
    let scheduled = 0;
    const maxLagEvents = opts.eventsPerSecond * 3;
    const worker = async (): Promise<void> => {
      while (this.loadRunning) {
        const ideal = ((Date.now() - startedAt) / 1000) * opts.eventsPerSecond;
        if (ideal - scheduled > maxLagEvents) scheduled = ideal - maxLagEvents;
        const due = startedAt + (scheduled / opts.eventsPerSecond) * 1000;
        if (due > Date.now()) {
          await sleep(due - Date.now());
          continue;
        }
        scheduled += opts.batchSize;
        const orgIndex = Math.floor(opts.random() * opts.orgs);
        await this.send(opts.workload.nextBatch(orgIndex, opts.batchSize));
      }
    };
    this.loadWorkers = Array.from({ length: opts.workers }, () => worker());
  }

  /** Stops offering new batches and waits until every batch in flight has its answer. */
  async stopLoad(): Promise<void> {
    this.loadRunning = false;
    await Promise.all(this.loadWorkers);
    await Promise.all([...this.inflight]);
  }

  /** Gives up on everything (the run failed): no new batches, no more resends. */
  abort(): void {
    this.loadRunning = false;
    this.aborted = true;
  }

  /** Totals over all phases. */
  totals(): PhaseStats {
    const t = emptyStats();
    for (const s of this.phases.values()) {
      for (const k of ['offered', 'accepted', 'duplicates', 'rejected', 'requests', 'retries', 'http5xx', 'networkErrors', 'timeouts', 'unexpected4xx'] as const) t[k] += s[k];
      t.maxBatchLatencyMs = Math.max(t.maxBatchLatencyMs, s.maxBatchLatencyMs);
      for (const [k, v] of Object.entries(s.seen)) t.seen[k] = (t.seen[k] ?? 0) + v;
    }
    return t;
  }
}
