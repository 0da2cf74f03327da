import { execFile } from 'node:child_process';
import { request } from 'node:http';
import { promisify } from 'node:util';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect, type NatsConnection } from 'nats';
import { allStreams } from '@vigil/contracts';
import {
  createTestDatabase,
  freePort,
  repoRoot,
  serviceEntry,
  startNats,
  startServiceProcess,
  startSmtpSink,
  waitFor,
  type ServiceProcess,
  type SmtpSink,
  type TestDatabase,
  type TestNats,
} from '@vigil/testing';

const run = promisify(execFile);

export const SERVICES = ['gateway', 'ingest', 'detection', 'incident', 'notification', 'reporting'] as const;
export type ServiceName = (typeof SERVICES)[number];
/** Services that write and publish through a transactional outbox. */
const OUTBOX_SERVICES: readonly ServiceName[] = ['gateway', 'ingest', 'detection', 'incident'];

export interface TestOrg {
  orgId: string;
  key: string;
}

/**
 * The whole product for one test file: a private NATS server, a fresh database with one schema and role
 * per service, a real SMTP sink, and the six services as separate processes (compiled, as in production).
 */
export class TestStack {
  readonly services = new Map<ServiceName, ServiceProcess>();
  private nc?: NatsConnection;

  private constructor(
    readonly db: TestDatabase,
    readonly nats: TestNats,
    readonly smtp: SmtpSink,
  ) {}

  static async start(opts: { services?: readonly ServiceName[]; env?: Partial<Record<ServiceName, Record<string, string>>> } = {}): Promise<TestStack> {
    const [db, nats, smtp] = await Promise.all([createTestDatabase(), startNats(), startSmtpSink()]);
    const stack = new TestStack(db, nats, smtp);
    try {
      await Promise.all((opts.services ?? SERVICES).map((s) => stack.startService(s, opts.env?.[s])));
    } catch (err) {
      await stack.stop();
      throw err;
    }
    return stack;
  }

  envFor(name: ServiceName): Record<string, string> {
    return serviceEnv(name, this);
  }

  async startService(name: ServiceName, extraEnv: Record<string, string> = {}): Promise<ServiceProcess> {
    const port = await freePort();
    const proc = await startServiceProcess({ name, entry: serviceEntry(name), env: { ...this.envFor(name), ...extraEnv }, port, readyTimeoutMs: 60_000 });
    this.services.set(name, proc);
    return proc;
  }

  get gatewayUrl(): string {
    return this.services.get('gateway')!.url;
  }

  async natsConnection(): Promise<NatsConnection> {
    this.nc ??= await connect({ servers: this.nats.url });
    return this.nc;
  }

  /** Creates an org through the documented CLI and returns its id and first admin key. */
  async createOrg(name: string, adminEmails: string[]): Promise<TestOrg> {
    const cli = join(repoRoot(), 'services/gateway/dist/cli.js');
    const args = ['org', 'create', '--name', name, ...adminEmails.flatMap((e) => ['--admin-email', e])];
    const { stdout } = await run(process.execPath, [cli, ...args], { env: { ...process.env, DATABASE_URL: this.db.urlFor('gateway') } });
    const orgId = /organisation: ([0-9a-f-]{36})/.exec(stdout)?.[1];
    const key = /api key: (vgl_\S+)/.exec(stdout)?.[1];
    if (!orgId || !key) throw new Error(`unexpected CLI output: ${stdout}`);
    return { orgId, key };
  }

  async api(path: string, init: { method?: string; key?: string; body?: unknown; rawBody?: string; contentType?: string } = {}) {
    const headers: Record<string, string> = {};
    if (init.key) headers.authorization = `Bearer ${init.key}`;
    if (init.body !== undefined || init.rawBody !== undefined) headers['content-type'] = init.contentType ?? 'application/json';
    const res = await fetch(this.gatewayUrl + path, {
      method: init.method ?? (init.body !== undefined || init.rawBody !== undefined ? 'POST' : 'GET'),
      headers,
      body: init.rawBody ?? (init.body !== undefined ? JSON.stringify(init.body) : undefined),
    });
    const text = await res.text();
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', body: text ? (JSON.parse(text) as any) : undefined };
  }

  /**
   * Declares an oversized body (content-length) and sends only its first chunk: the server must refuse
   * from the declared size alone, so the answer arrives while the upload is still open — no race with
   * the server closing the socket under a half-written body.
   */
  postOversized(path: string, key: string, body: string): Promise<{ status: number; contentType: string; body: any }> {
    return new Promise((resolve, reject) => {
      const bytes = Buffer.from(body);
      const req = request(this.gatewayUrl + path, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'content-length': bytes.length } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          req.destroy();
          resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), body: text ? JSON.parse(text) : undefined });
        });
      });
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
      });
      req.write(bytes.subarray(0, 64 * 1024));
    });
  }

  async count(sql: string, params: unknown[] = []): Promise<number> {
    const rows = await this.db.query<{ n: string }>(sql, params);
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Waits until the pipeline has nothing left to do: every outbox empty, every durable consumer with
   * nothing pending or unacked, no email waiting to go, twice in a row. Deterministic, no sleeps.
   */
  async settle(timeoutMs = 60_000): Promise<void> {
    const jsm = await (await this.natsConnection()).jetstreamManager();
    const quiet = async (): Promise<boolean> => {
      // Only the services this stack runs have migrated their tables.
      const outboxes = OUTBOX_SERVICES.filter((s) => this.services.has(s));
      const outbox = outboxes.length ? await this.count(`select ${outboxes.map((s) => `(select count(*) from ${s}.outbox)`).join(' + ')} as n`) : 0;
      if (outbox > 0) return false;
      for (const stream of allStreams) {
        if (stream.name === 'VIGIL_DEAD_LETTERS') continue;
        const consumers = await jsm.consumers.list(stream.name).next().catch(() => []);
        for (const c of consumers) if (c.num_pending > 0 || c.num_ack_pending > 0) return false;
      }
      if (!this.services.has('notification')) return true;
      const mail = await this.count(`select count(*) as n from notification.deliveries where status in ('pending', 'sending')`);
      return mail === 0;
    };
    await waitFor(async () => (await quiet()) && (await quiet()), { timeoutMs, intervalMs: 200, description: 'pipeline to settle' });
  }

  /** Messages parked in the dead-letter stream so far. */
  async deadLetterCount(): Promise<number> {
    const jsm = await (await this.natsConnection()).jetstreamManager();
    return (await jsm.streams.info('VIGIL_DEAD_LETTERS')).state.messages;
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.services.values()].map((s) => s.stop()));
    // Keep each service's last log lines for whoever has to read a failure (CI prints the folder).
    const dir = join(repoRoot(), '.vigil/test-logs', this.db.name);
    mkdirSync(dir, { recursive: true });
    for (const [name, proc] of this.services) writeFileSync(join(dir, `${name}.log`), proc.logs());
    await this.nc?.close().catch(() => undefined);
    await Promise.allSettled([this.smtp.stop(), this.nats.stop()]);
    await this.db.drop();
  }
}

/** The environment a service process gets in a test stack: its own role's database URL, NATS, SMTP. */
export function serviceEnv(name: ServiceName, infra: { db: TestDatabase; nats: { url: string }; smtp: { url: string } }): Record<string, string> {
  return {
    DATABASE_URL: infra.db.urlFor(name),
    NATS_URL: infra.nats.url,
    SMTP_URL: infra.smtp.url,
    LOG_LEVEL: process.env.VIGIL_TEST_LOG_LEVEL ?? 'warn',
    NODE_ENV: 'test',
    // Tests assert which events come back `duplicate`, which the gateway learns from ingest's
    // confirmation: on a loaded test machine give it far longer than production's 5 s.
    ...(name === 'gateway' ? { VIGIL_INGEST_CONFIRM_MS: '20000' } : {}),
    // Gateway and ingest share the intake seal, as deployed: batches the gateway validated are not
    // validated twice (tests publishing straight to ingest.submitted.* check the unsealed path).
    ...(name === 'gateway' || name === 'ingest' ? { VIGIL_INTAKE_KEY: TEST_INTAKE_KEY } : {}),
  };
}

/** The intake seal key of test stacks (see serviceEnv); a test may seal a message itself with it. */
export const TEST_INTAKE_KEY = 'test-intake-key-0123456789abcdef0123456789abcdef';

let seq = 0;
/**
 * A login.failed CloudEvent as a producer would send it. The default account is one per IP, so a
 * test about one IP's failures raises brute force by IP alone, not also by account.
 */
export function loginFailed(ip: string, opts: { at?: Date; username?: string; id?: string } = {}) {
  seq += 1;
  return {
    specversion: '1.0',
    id: opts.id ?? `evt-${process.pid}-${Date.now()}-${seq}`,
    source: 'https://app.example.test/login',
    type: 'login.failed',
    time: (opts.at ?? new Date()).toISOString(),
    data: { ip, username: opts.username ?? `user-${ip.replace(/[^0-9a-z]/gi, '-')}@example.test`, reason: 'invalid_password' },
  };
}
