import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A breach as HIBP's v3 API returns it (the fields Vigil reads, plus whatever a test adds). */
export interface FakeBreach {
  Name: string;
  Title?: string;
  Domain?: string;
  BreachDate?: string;
  DataClasses?: string[];
  IsVerified?: boolean;
  IsFabricated?: boolean;
  IsSpamList?: boolean;
  IsStealerLog?: boolean;
  [field: string]: unknown;
}

export interface FakeHibpRequest {
  path: string;
  apiKey: string | undefined;
  userAgent: string | undefined;
  status: number;
}

/**
 * A local server speaking Have I Been Pwned's v3 API as documented (haveibeenpwned.com/API/v3):
 * `GET /api/v3/breaches`, `/breacheddomain/{domain}` (alias -> breach names), `/breachedaccount/{account}`
 * (names only unless `truncateResponse=false`), 404 when nothing is found, 401 without the key, 403
 * without a user agent, and 429 with `retry-after` (seconds) when told to rate-limit.
 */
export class FakeHibp {
  readonly requests: FakeHibpRequest[] = [];
  readonly breaches: FakeBreach[] = [];
  /** domain -> alias -> breach names */
  readonly domains = new Map<string, Record<string, string[]>>();
  /** account (lower case) -> breach names */
  readonly accounts = new Map<string, string[]>();
  private rateLimited: number[] = [];

  private constructor(
    private readonly server: ReturnType<typeof createServer>,
    readonly apiKey: string,
  ) {}

  static async start(apiKey = 'test-hibp-key'): Promise<FakeHibp> {
    let fake: FakeHibp | undefined;
    const server = createServer((req, res) => fake!.handle(req, res));
    fake = new FakeHibp(server, apiKey);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return fake;
  }

  /** Base URL to configure (VIGIL_HIBP_BASE_URL). */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/v3`;
  }

  /** The next requests answer 429 with these retry-after values (seconds), one each. */
  rateLimitNext(...retryAfterSeconds: number[]): void {
    this.rateLimited.push(...retryAfterSeconds);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://hibp.test');
    const apiKey = req.headers['hibp-api-key'] as string | undefined;
    const userAgent = req.headers['user-agent'];
    const send = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      this.requests.push({ path: url.pathname + url.search, apiKey, userAgent, status });
      res.writeHead(status, { ...(body !== undefined ? { 'content-type': 'application/json; charset=utf-8' } : {}), ...headers });
      res.end(body !== undefined ? JSON.stringify(body) : undefined);
    };
    if (!userAgent) return send(403);
    if (apiKey !== this.apiKey) return send(401, { statusCode: 401, message: 'Access denied due to missing hibp-api-key.' });
    const wait = this.rateLimited.shift();
    if (wait !== undefined) return send(429, { statusCode: 429, message: `Rate limit is exceeded. Try again in ${wait} seconds.` }, { 'retry-after': String(wait) });

    const [, api, version, resource, param] = url.pathname.split('/');
    if (api !== 'api' || version !== 'v3') return send(404);
    const arg = param !== undefined ? decodeURIComponent(param) : undefined;
    if (resource === 'breaches' && arg === undefined) return send(200, this.breaches);
    if (resource === 'breacheddomain' && arg) {
      const found = this.domains.get(arg.toLowerCase());
      return found && Object.keys(found).length ? send(200, found) : send(404);
    }
    if (resource === 'breachedaccount' && arg) {
      const names = this.accounts.get(arg.toLowerCase());
      if (!names?.length) return send(404);
      const full = url.searchParams.get('truncateResponse') === 'false';
      return send(200, names.map((n) => (full ? (this.breaches.find((b) => b.Name === n) ?? { Name: n }) : { Name: n })));
    }
    return send(404);
  }
}
