import { execFile } from 'node:child_process';
import { get } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import { allStreams } from '@vigil/contracts';
import {
  createTestDatabase,
  freePort,
  repoRoot,
  serviceEntry,
  startNats,
  startPrivatePostgres,
  startServiceProcess,
  startSmtpSink,
  waitFor,
  type PrivatePostgres,
  type RestartableNats,
  type ServiceProcess,
  type SmtpSink,
  type TestDatabase,
} from '@vigil/testing';
import { SERVICES, serviceEnv, type ServiceName, type TestOrg } from '../stack';

const run = promisify(execFile);

/** A service process that exited without the suite killing or stopping it. */
export interface UnexpectedExit {
  service: ServiceName;
  pid: number;
  at: Date;
  code: number | null;
  signal: string | null;
  /** Its last log lines (the crash message). */
  logTail: string;
}

export interface ConsumerState {
  stream: string;
  durable: string;
  pending: number;
  ackPending: number;
  redelivered: number;
}

/**
 * The whole product on parts the suite may break: a private PostgreSQL cluster it can crash, a NATS
 * server it can kill and bring back on the same port and store, and the six services as processes on
 * fixed ports (a restarted gateway answers where the producer already sends).
 */
export class ChaosStack {
  readonly services = new Map<ServiceName, ServiceProcess>();
  /** Every process ever started, for the logs of killed ones. */
  private readonly history: { name: ServiceName; proc: ServiceProcess }[] = [];
  private readonly ports = new Map<ServiceName, number>();
  private readonly meantToExit = new Set<ServiceProcess>();
  readonly unexpectedExits: UnexpectedExit[] = [];
  private supervisor?: NodeJS.Timeout;
  private restarting?: Promise<void>;
  private nc?: NatsConnection;

  private constructor(
    readonly pg: PrivatePostgres,
    readonly db: TestDatabase,
    readonly nats: RestartableNats,
    readonly smtp: SmtpSink,
    private readonly extraEnv: Record<string, string>,
  ) {}

  static async start(opts: { env?: Record<string, string> } = {}): Promise<ChaosStack> {
    const pg = await startPrivatePostgres();
    let db: TestDatabase | undefined;
    let nats: RestartableNats | undefined;
    let smtp: SmtpSink | undefined;
    try {
      [db, nats, smtp] = await Promise.all([createTestDatabase({ serverAdminUrl: pg.adminUrl }), startNats({ restartable: true }), startSmtpSink()]);
    } catch (err) {
      await Promise.allSettled([nats?.stop(), smtp?.stop()]);
      await pg.stop();
      throw err;
    }
    const stack = new ChaosStack(pg, db, nats, smtp, opts.env ?? {});
    try {
      for (const s of SERVICES) stack.ports.set(s, await freePort());
      await Promise.all(SERVICES.map((s) => stack.startService(s)));
    } catch (err) {
      await stack.stop();
      throw err;
    }
    return stack;
  }

  envFor(name: ServiceName): Record<string, string> {
    return { ...serviceEnv(name, this), ...this.extraEnv };
  }

  /** Starts (or restarts, after kill) a service on its fixed port; resolves once /readyz is 200. */
  async startService(name: ServiceName): Promise<ServiceProcess> {
    const proc = await startServiceProcess({ name, entry: serviceEntry(name), env: this.envFor(name), port: this.ports.get(name)!, readyTimeoutMs: 120_000 });
    this.services.set(name, proc);
    this.history.push({ name, proc });
    void proc.exited.then(({ code, signal }) => {
      if (this.meantToExit.has(proc)) return;
      this.unexpectedExits.push({ service: name, pid: proc.pid, at: new Date(), code, signal, logTail: proc.logs().split('\n').slice(-30).join('\n') });
    });
    return proc;
  }

  /** SIGKILL. */
  async killService(name: ServiceName): Promise<void> {
    const proc = this.services.get(name);
    if (!proc) return;
    this.meantToExit.add(proc);
    await proc.kill();
  }

  /**
   * Plays systemd/Kubernetes: a service that died on its own (not killed by the suite) is started
   * again at once, so one crash is recorded (unexpectedExits) without stalling the rest of the run.
   */
  supervise(onRestart: (service: ServiceName, outcome: string) => void): void {
    this.supervisor = setInterval(() => {
      if (this.restarting) return;
      this.restarting = (async () => {
        for (const [name, proc] of this.services) {
          if (this.meantToExit.has(proc) || !(await this.hasExited(proc))) continue;
          try {
            await this.startService(name);
            onRestart(name, 'restarted');
          } catch (err) {
            onRestart(name, `restart failed: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
          }
        }
      })().finally(() => {
        this.restarting = undefined;
      });
    }, 500);
  }

  private async stopSupervising(): Promise<void> {
    clearInterval(this.supervisor);
    await this.restarting;
  }

  private hasExited(proc: ServiceProcess): Promise<boolean> {
    return Promise.race([proc.exited.then(() => true), new Promise<false>((resolve) => setImmediate(() => resolve(false)))]);
  }

  /** Starts every service the suite killed and did not restart (the supervisor leaves those alone). */
  async startKilledServices(): Promise<ServiceName[]> {
    const started: ServiceName[] = [];
    for (const [name, proc] of this.services) {
      if (!this.meantToExit.has(proc) || !(await this.hasExited(proc))) continue;
      await this.startService(name);
      started.push(name);
    }
    return started;
  }

  /** Services whose current process has exited (crashed, or killed and not restarted). */
  async deadServices(): Promise<ServiceName[]> {
    const dead: ServiceName[] = [];
    for (const [name, proc] of this.services) if (await this.hasExited(proc)) dead.push(name);
    return dead;
  }

  get gatewayUrl(): string {
    return `http://127.0.0.1:${this.ports.get('gateway')}`;
  }

  /** Which services do not answer /readyz 200 right now. */
  async notReady(): Promise<ServiceName[]> {
    const states = await Promise.all(SERVICES.map(async (s) => [s, await readyz(this.ports.get(s)!)] as const));
    return states.filter(([, ok]) => !ok).map(([s]) => s);
  }

  async natsConnection(): Promise<NatsConnection> {
    // Reconnects forever: the suite's own view must survive the NATS restart too.
    this.nc ??= await connect({ servers: this.nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
    return this.nc;
  }

  async jsm(): Promise<JetStreamManager> {
    return (await this.natsConnection()).jetstreamManager({ timeout: 5000 });
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

  async count(sql: string, params: unknown[] = []): Promise<number> {
    const rows = await this.db.query<{ n: string }>(sql, params);
    return Number(rows[0]?.n ?? 0);
  }

  /** Every durable consumer of every stream (the gateway records dead letters through one too). */
  async consumers(): Promise<ConsumerState[]> {
    const jsm = await this.jsm();
    const out: ConsumerState[] = [];
    for (const stream of allStreams) {
      let list;
      try {
        list = await jsm.consumers.list(stream.name).next();
      } catch (err) {
        if (/not found/i.test(String(err))) continue;
        throw err;
      }
      for (const c of list) {
        out.push({ stream: stream.name, durable: c.name, pending: c.num_pending, ackPending: c.num_ack_pending, redelivered: c.num_redelivered });
      }
    }
    return out;
  }

  /** What is still in flight: outbox rows per service, busy consumers, emails not yet sent. */
  async backlog(): Promise<{ outbox: Record<string, number>; busyConsumers: ConsumerState[]; unsentEmails: number }> {
    const outbox: Record<string, number> = {};
    for (const schema of ['gateway', 'ingest', 'detection', 'incident']) {
      outbox[schema] = await this.count(`select count(*) as n from ${schema}.outbox`);
    }
    const busyConsumers = (await this.consumers()).filter((c) => c.pending > 0 || c.ackPending > 0);
    const unsentEmails = await this.count(`select count(*) as n from notification.deliveries where status in ('pending', 'sending')`);
    return { outbox, busyConsumers, unsentEmails };
  }

  /**
   * Waits until the pipeline has nothing left to do (every outbox empty, every durable consumer with
   * nothing pending or unacked, no email waiting), twice in a row. On timeout the error says what was
   * still busy: a stuck consumer names itself.
   */
  async settle(timeoutMs: number): Promise<void> {
    const quiet = async (): Promise<boolean> => {
      const b = await this.backlog();
      return Object.values(b.outbox).every((n) => n === 0) && b.busyConsumers.length === 0 && b.unsentEmails === 0;
    };
    try {
      await waitFor(async () => (await quiet()) && (await quiet()), { timeoutMs, intervalMs: 250, description: 'pipeline to settle' });
    } catch (err) {
      const b = await this.backlog().catch((e: unknown) => `backlog unavailable: ${String(e)}`);
      throw new Error(`${err instanceof Error ? err.message : String(err)}\nstill busy: ${JSON.stringify(b)}`);
    }
  }

  /** Writes every service process's last log lines (killed ones included) under .vigil/test-logs. */
  saveLogs(): string {
    const dir = join(repoRoot(), '.vigil/test-logs', `chaos-${this.db.name}`);
    mkdirSync(dir, { recursive: true });
    const seen = new Map<string, number>();
    for (const { name, proc } of this.history) {
      const n = (seen.get(name) ?? 0) + 1;
      seen.set(name, n);
      writeFileSync(join(dir, `${name}-${n}.log`), proc.logs());
    }
    writeFileSync(join(dir, 'nats-server.log'), this.nats.logs());
    return dir;
  }

  async stop(): Promise<void> {
    await this.stopSupervising();
    for (const proc of this.services.values()) this.meantToExit.add(proc);
    await Promise.allSettled([...this.services.values()].map((s) => s.stop()));
    try {
      this.saveLogs();
    } catch {
      // logs are a courtesy
    }
    await this.nc?.close().catch(() => undefined);
    await Promise.allSettled([this.smtp.stop(), this.nats.stop()]);
    await this.db.drop().catch(() => undefined);
    await this.pg.stop();
  }
}

function readyz(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path: '/readyz', agent: false, timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}
