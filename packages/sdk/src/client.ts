import { randomUUID } from 'node:crypto';
import { parseProducerEvent, type FieldError } from '@vigil/contracts';
import { defaultBackoff, isRetryableStatus, retryDelay } from './backoff';
import { GATEWAY_MAX_BATCH_EVENTS, GATEWAY_MAX_BODY_BYTES, nextBatchLength } from './batching';
import { ClientClosedError, DeliveryError, EventValidationError, RetriesExhaustedError, VigilHttpError } from './errors';
import type { EmitOptions, EventOutcome, FailedEvent, FlushResult, ProducerEvent, ProducerEventDataMap, ProducerEventType } from './types';

export interface VigilClientOptions {
  /** Gateway URL, e.g. `http://127.0.0.1:8080`; or a function asked before every request (service discovery). */
  baseUrl: string | (() => string);
  /** An API key with the `events:write` scope. */
  apiKey: string;
  /** CloudEvents `source` of every event, e.g. `https://app.acme.test/login`. With `id` it makes the event unique. */
  source: string;
  /** Events per request; default 500, at most 1000 (the gateway's limit). */
  maxBatchSize?: number;
  /** Request body bytes; default 5 MiB (the gateway's default `GATEWAY_BODY_LIMIT_BYTES`). */
  maxBatchBytes?: number;
  /** A partial batch is sent this long after its first event; default 1000. */
  flushIntervalMs?: number;
  /** Events held in memory (buffered or being sent); `emit` waits for room beyond it. Default 10,000. */
  maxBufferedEvents?: number;
  /** Retries of one batch after 429, 5xx, a network error or a timeout; default 10. */
  maxRetries?: number;
  /** Backoff: the first retry waits up to `retryBaseMs` (200), doubling to at most `retryCapMs` (30,000). */
  retryBaseMs?: number;
  retryCapMs?: number;
  /** One request's time limit; default 30,000. */
  requestTimeoutMs?: number;
  /** Check each event in `emit` with the gateway's own validation; default true. */
  validate?: boolean;
  /** Called once per event the gateway refused; such events are never retried. */
  onRejected?: (event: ProducerEvent, errors: FieldError[]) => void;
  /** Called when events could not be delivered (auth refused, retries exhausted). Default: a process warning. */
  onError?: (error: Error, events: ProducerEvent[]) => void;
  /** For tests and custom agents; default the global fetch. */
  fetch?: typeof fetch;
}

interface Pending {
  event: ProducerEvent;
  json: string;
  bytes: number;
  outcome: Promise<EventOutcome>;
  settle: (o: EventOutcome) => void;
}

const USER_AGENT = 'vigil-sdk/0.1.0';

/**
 * Buffers events and sends them to `POST /v1/events` in batches. A batch that meets 429, 5xx, a network
 * error or a timeout is sent again as it was — same ids — so the gateway's (source, id) deduplication
 * makes every retry safe; a retry of a batch that was in fact stored comes back `duplicate`.
 */
export class VigilClient {
  private readonly opts: Required<Omit<VigilClientOptions, 'onRejected' | 'onError' | 'fetch' | 'baseUrl'>>;
  private readonly baseUrl: () => string;
  private readonly fetchFn: typeof fetch;
  private readonly onRejected: VigilClientOptions['onRejected'];
  private readonly onError: NonNullable<VigilClientOptions['onError']>;

  private buffer: Pending[] = [];
  private bufferedBytes = 0;
  private readonly inFlight = new Set<Pending>();
  private flushRequested = false;
  private draining: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private roomWaiters: (() => void)[] = [];
  private closed = false;
  private closing: Promise<FlushResult> | undefined;

  constructor(options: VigilClientOptions) {
    const maxBatchSize = options.maxBatchSize ?? 500;
    if (!Number.isInteger(maxBatchSize) || maxBatchSize < 1 || maxBatchSize > GATEWAY_MAX_BATCH_EVENTS) {
      throw new RangeError(`maxBatchSize must be an integer from 1 to ${GATEWAY_MAX_BATCH_EVENTS}`);
    }
    const maxBufferedEvents = options.maxBufferedEvents ?? 10_000;
    if (!Number.isInteger(maxBufferedEvents) || maxBufferedEvents < 1) throw new RangeError('maxBufferedEvents must be a positive integer');
    const maxBatchBytes = options.maxBatchBytes ?? GATEWAY_MAX_BODY_BYTES;
    if (!Number.isInteger(maxBatchBytes) || maxBatchBytes < 2) throw new RangeError('maxBatchBytes must be an integer of at least 2');
    if (!options.apiKey) throw new TypeError('apiKey is required');
    if (!options.source) throw new TypeError('source is required');
    this.opts = {
      apiKey: options.apiKey,
      source: options.source,
      maxBatchSize,
      maxBatchBytes,
      flushIntervalMs: options.flushIntervalMs ?? 1000,
      maxBufferedEvents,
      maxRetries: options.maxRetries ?? 10,
      retryBaseMs: options.retryBaseMs ?? defaultBackoff.baseMs,
      retryCapMs: options.retryCapMs ?? defaultBackoff.capMs,
      requestTimeoutMs: options.requestTimeoutMs ?? 30_000,
      validate: options.validate ?? true,
    };
    const base = options.baseUrl;
    this.baseUrl = typeof base === 'function' ? base : () => base;
    this.fetchFn = options.fetch ?? fetch;
    this.onRejected = options.onRejected;
    this.onError = options.onError ?? ((error, events) => process.emitWarning(`${events.length} Vigil event(s) not delivered: ${error.message}`, 'VigilDeliveryWarning'));
  }

  /** Events held in memory: buffered plus being sent. */
  get pending(): number {
    return this.buffer.length + this.inFlight.size;
  }

  /**
   * Buffers one event and returns its id. The event is queued before the first `await`, so an
   * un-awaited `emit` still keeps order; awaiting it is what applies backpressure: with
   * `maxBufferedEvents` already held, it resolves only once sending has made room.
   * Throws `EventValidationError` (with `validate`) and `ClientClosedError`.
   */
  async emit<T extends ProducerEventType>(type: T, data: ProducerEventDataMap[T], options: EmitOptions = {}): Promise<string> {
    if (this.closed) throw new ClientClosedError();
    const time = options.time === undefined ? new Date().toISOString() : typeof options.time === 'string' ? options.time : options.time.toISOString();
    const event: ProducerEvent<T> = {
      specversion: '1.0',
      id: options.id ?? randomUUID(),
      source: this.opts.source,
      type,
      time,
      ...(options.subject !== undefined ? { subject: options.subject } : {}),
      data,
    };
    if (this.opts.validate) {
      const parsed = parseProducerEvent(event);
      if (!parsed.ok) throw new EventValidationError(event, parsed.errors);
    }
    const json = JSON.stringify(event);
    while (this.pending >= this.opts.maxBufferedEvents) {
      this.requestFlush();
      await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
      if (this.closed) throw new ClientClosedError();
    }
    let settle!: (o: EventOutcome) => void;
    const outcome = new Promise<EventOutcome>((resolve) => (settle = resolve));
    const bytes = Buffer.byteLength(json);
    this.buffer.push({ event, json, bytes, outcome, settle });
    this.bufferedBytes += bytes + 1;
    if (this.buffer.length >= this.opts.maxBatchSize || this.bufferedBytes >= this.opts.maxBatchBytes) this.kick();
    else this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.requestFlush();
    }, this.opts.flushIntervalMs);
    return event.id;
  }

  /**
   * Sends everything emitted so far and resolves with what became of it. Rejects with `DeliveryError`
   * (carrying the same result) when some events could not be delivered at all.
   */
  async flush(): Promise<FlushResult> {
    const waitingFor = [...this.inFlight, ...this.buffer];
    this.requestFlush();
    const outcomes = await Promise.all(waitingFor.map((p) => p.outcome));
    const result: FlushResult = { accepted: 0, duplicates: 0, rejected: [] };
    const failed: FailedEvent[] = [];
    outcomes.forEach((o, i) => {
      const event = waitingFor[i]!.event;
      if (o.status === 'accepted') result.accepted += 1;
      else if (o.status === 'duplicate') result.duplicates += 1;
      else if (o.status === 'rejected') result.rejected.push({ event, errors: o.errors });
      else if (o.status === 'failed') failed.push({ event, error: o.error });
    });
    if (failed.length) throw new DeliveryError(result, failed);
    return result;
  }

  /** Refuses new events, sends every buffered one, stops the timer. Safe to call more than once. */
  close(): Promise<FlushResult> {
    this.closing ??= (async () => {
      this.closed = true;
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      // Emits waiting for room will never get it now.
      for (const wake of this.roomWaiters.splice(0)) wake();
      try {
        return await this.flush();
      } finally {
        await this.draining;
      }
    })();
    return this.closing;
  }

  /**
   * Opt-in: on SIGTERM/SIGINT (or the given signals) close the client — flushing what is buffered —
   * then re-raise the signal so the process ends as it would have; on `beforeExit`, flush what is
   * left. If your app handles these signals itself, call `await client.close()` there instead.
   * A second signal during the flush is not intercepted, so it ends the process at once.
   * Returns a function that removes the hooks.
   */
  installShutdownHooks(options: { signals?: NodeJS.Signals[]; beforeExit?: boolean } = {}): () => void {
    const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
    const onSignal = (signal: NodeJS.Signals) => {
      uninstall();
      this.close()
        .catch((err: unknown) => this.onError(err instanceof Error ? err : new Error(String(err)), []))
        .finally(() => {
          // Someone else listening decides how to exit; alone, we restore the default (exit 128+n).
          if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
        });
    };
    const onBeforeExit = () => {
      if (!this.closed && this.pending > 0) void this.close().catch(() => undefined);
    };
    for (const s of signals) process.on(s, onSignal);
    if (options.beforeExit ?? true) process.on('beforeExit', onBeforeExit);
    const uninstall = () => {
      for (const s of signals) process.off(s, onSignal);
      process.off('beforeExit', onBeforeExit);
    };
    return uninstall;
  }

  private requestFlush(): void {
    if (this.buffer.length === 0) return;
    this.flushRequested = true;
    this.kick();
  }

  private kick(): void {
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
      // Events that filled a batch while the last one was being sent.
      if (this.buffer.length >= this.opts.maxBatchSize || (this.flushRequested && this.buffer.length > 0)) this.kick();
    });
  }

  /** One batch at a time, in emit order, so a struggling gateway sees one request per producer, not a burst. */
  private async drain(): Promise<void> {
    for (;;) {
      const full = this.buffer.length >= this.opts.maxBatchSize || this.bufferedBytes >= this.opts.maxBatchBytes;
      if (this.buffer.length === 0 || !(full || this.flushRequested)) return;
      const n = nextBatchLength(
        this.buffer.map((p) => p.bytes),
        this.opts.maxBatchSize,
        this.opts.maxBatchBytes,
      );
      const batch = this.buffer.splice(0, n);
      for (const p of batch) {
        this.bufferedBytes -= p.bytes + 1;
        this.inFlight.add(p);
      }
      if (this.buffer.length === 0) this.flushRequested = false;
      try {
        await this.deliver(batch);
      } finally {
        for (const p of batch) this.inFlight.delete(p);
        for (const wake of this.roomWaiters.splice(0)) wake();
      }
    }
  }

  /** Sends one batch until every event in it has an outcome; never throws. */
  private async deliver(batch: Pending[]): Promise<void> {
    let lastFailure: unknown;
    for (let attempt = 0; attempt <= this.opts.maxRetries; attempt++) {
      if (attempt > 0) {
        const retryAfter = lastFailure instanceof VigilHttpError ? lastFailure.retryAfter : undefined;
        await sleep(retryDelay(attempt, retryAfter, { baseMs: this.opts.retryBaseMs, capMs: this.opts.retryCapMs }));
      }
      let res: Response;
      try {
        res = await this.fetchFn(new URL('/v1/events', this.baseUrl()), {
          method: 'POST',
          headers: { authorization: `Bearer ${this.opts.apiKey}`, 'content-type': 'application/json', accept: 'application/json', 'user-agent': USER_AGENT },
          body: '[' + batch.map((p) => p.json).join(',') + ']',
          signal: AbortSignal.timeout(this.opts.requestTimeoutMs),
        });
      } catch (err) {
        lastFailure = err;
        continue;
      }
      const body = await readJson(res);
      if (res.status === 200 || res.status === 202 || res.status === 207) return this.applyResults(batch, res.status, body);
      if (res.status === 400) return this.applyBadRequest(batch, body);
      if (res.status === 413 && batch.length > 1) {
        // Over the gateway's body or batch limit: halves are retried as batches of their own.
        const mid = Math.ceil(batch.length / 2);
        await this.deliver(batch.slice(0, mid));
        return this.deliver(batch.slice(mid));
      }
      if (res.status === 413) {
        return this.reject(batch, () => [{ pointer: '', message: `too large for the gateway's request body limit (${describe(body)})` }]);
      }
      const error = new VigilHttpError(res.status, body, res.headers.get('retry-after'));
      if (!isRetryableStatus(res.status)) return this.fail(batch, error);
      lastFailure = error;
    }
    return this.fail(batch, new RetriesExhaustedError(this.opts.maxRetries + 1, lastFailure));
  }

  private applyResults(batch: Pending[], status: number, body: unknown): void {
    const results = resultsOf(body, batch.length);
    if (!results) {
      // 202 means every event was stored even if the body got lost; 207 without results cannot be read.
      if (status === 202) for (const p of batch) p.settle({ status: 'accepted' });
      else this.fail(batch, new VigilHttpError(status, body));
      return;
    }
    this.settleEach(batch, results);
  }

  private applyBadRequest(batch: Pending[], body: unknown): void {
    const results = resultsOf(body, batch.length);
    if (results) return this.settleEach(batch, results);
    // A problem about the body as a whole (should not happen for a body the SDK built): refuse all, no retry.
    const errors = Array.isArray((body as { errors?: unknown })?.errors) ? ((body as { errors: FieldError[] }).errors) : [{ pointer: '', message: describe(body) }];
    this.reject(batch, () => errors);
  }

  private settleEach(batch: Pending[], results: BatchResult[]): void {
    batch.forEach((p, i) => {
      const r = results[i]!;
      if (r.status === 'accepted' || r.status === 'duplicate') p.settle({ status: r.status });
      else this.reject([p], () => (r.errors ?? []).map((e) => ({ pointer: relativePointer(e.pointer, i), message: e.message })));
    });
  }

  private reject(batch: Pending[], errorsFor: (p: Pending) => FieldError[]): void {
    for (const p of batch) {
      const errors = errorsFor(p);
      p.settle({ status: 'rejected', errors });
      try {
        this.onRejected?.(p.event, errors);
      } catch {
        // A throwing callback must not stall the queue for everyone else.
      }
    }
  }

  private fail(batch: Pending[], error: Error): void {
    for (const p of batch) p.settle({ status: 'failed', error });
    try {
      this.onError(error, batch.map((p) => p.event));
    } catch {
      // As for onRejected.
    }
  }
}

interface BatchResult {
  status: string;
  errors?: FieldError[];
}

function resultsOf(body: unknown, length: number): BatchResult[] | undefined {
  const results = (body as { results?: unknown } | undefined)?.results;
  if (!Array.isArray(results) || results.length !== length) return undefined;
  return results.every((r) => typeof r === 'object' && r !== null && typeof (r as BatchResult).status === 'string') ? (results as BatchResult[]) : undefined;
}

/** `/3/data/ip` in a batch is `/data/ip` of the event: callers never see how events were batched. */
export function relativePointer(pointer: string, index: number): string {
  const prefix = `/${index}`;
  if (pointer === prefix) return '';
  return pointer.startsWith(prefix + '/') ? pointer.slice(prefix.length) : pointer;
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text().catch(() => '');
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function describe(body: unknown): string {
  if (typeof body === 'string') return body.slice(0, 200);
  const p = body as { title?: unknown; detail?: unknown } | undefined;
  return [p?.title, p?.detail].filter((s) => typeof s === 'string').join(': ') || 'no detail';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
