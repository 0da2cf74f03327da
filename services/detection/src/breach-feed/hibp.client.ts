import { z } from 'zod';

/** One breach as HIBP's v3 API describes it (`/breaches`, `/breachedaccount/{account}?truncateResponse=false`). */
export const hibpBreachSchema = z.looseObject({
  Name: z.string().min(1),
  Title: z.string().optional(),
  Domain: z.string().optional(),
  BreachDate: z.string().optional(),
  DataClasses: z.array(z.string()).optional(),
  IsVerified: z.boolean().optional(),
  IsFabricated: z.boolean().optional(),
  IsSpamList: z.boolean().optional(),
  IsMalware: z.boolean().optional(),
  IsStealerLog: z.boolean().optional(),
});
export type HibpBreach = z.infer<typeof hibpBreachSchema>;

const breachList = z.array(hibpBreachSchema);
/** `/breacheddomain/{domain}`: alias (the part before @) -> names of the breaches it appears in. */
const domainResult = z.record(z.string(), z.array(z.string()));

export interface HibpClientOptions {
  baseUrl: string;
  apiKey: string;
  userAgent: string;
  /** Pause between requests: HIBP keys are rate-limited per minute. */
  requestIntervalMs: number;
  /** 429 answers tolerated for one request before giving up on it. */
  maxRetries: number;
  /** Injected so tests can see the waits without waiting. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Aborts a request or a wait in progress (shutdown must not sit out an hour's retry-after). */
  signal?: AbortSignal;
}

export class HibpError extends Error {
  override readonly name = 'HibpError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

function realSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Have I Been Pwned v3: 404 means "nothing found", 429 waits out `retry-after` and tries again. */
export class HibpClient {
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private lastRequestAt = 0;
  /** Waits the client was told to make (429), newest last: for logs and tests. */
  readonly rateLimitWaitsMs: number[] = [];

  constructor(private readonly opts: HibpClientOptions) {
    this.sleep = opts.sleep ?? realSleep;
  }

  async breaches(): Promise<HibpBreach[]> {
    return breachList.parse((await this.get('/breaches')) ?? []);
  }

  /** Breached aliases of a verified domain; `{}` when none. */
  async breachedDomain(domain: string): Promise<Record<string, string[]>> {
    return domainResult.parse((await this.get(`/breacheddomain/${encodeURIComponent(domain)}`)) ?? {});
  }

  /** Full breach models for one account; `[]` when HIBP knows none (404). */
  async breachedAccount(account: string): Promise<HibpBreach[]> {
    return breachList.parse((await this.get(`/breachedaccount/${encodeURIComponent(account)}?truncateResponse=false`)) ?? []);
  }

  private async get(path: string): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const gap = this.lastRequestAt + this.opts.requestIntervalMs - Date.now();
      if (gap > 0) await this.sleep(gap, this.opts.signal);
      this.lastRequestAt = Date.now();
      const res = await fetch(this.opts.baseUrl.replace(/\/+$/, '') + path, {
        headers: { 'hibp-api-key': this.opts.apiKey, 'user-agent': this.opts.userAgent, accept: 'application/json' },
        signal: this.opts.signal ? AbortSignal.any([this.opts.signal, AbortSignal.timeout(30_000)]) : AbortSignal.timeout(30_000),
      });
      if (res.status === 404) {
        await res.body?.cancel();
        return undefined;
      }
      if (res.status === 429) {
        await res.body?.cancel();
        if (attempt >= this.opts.maxRetries) throw new HibpError(`rate limited on ${path} ${attempt + 1} times; giving up until the next poll`, 429);
        // retry-after is in seconds; HIBP always sends it, a missing or odd one waits 2 s.
        const seconds = Number(res.headers.get('retry-after'));
        const waitMs = Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds, 3600) * 1000 : 2000;
        this.rateLimitWaitsMs.push(waitMs);
        await this.sleep(waitMs, this.opts.signal);
        continue;
      }
      if (!res.ok) {
        const text = (await res.text()).slice(0, 300);
        throw new HibpError(`HIBP answered ${res.status} on ${path}: ${text}`, res.status);
      }
      return res.json();
    }
  }
}
