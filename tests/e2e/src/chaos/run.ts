import { waitFor } from '@vigil/testing';
import { SERVICES, type ServiceName } from '../stack';
import { verify, type Check, type Verification } from './checks';
import { Producer, type PhaseStats } from './producer';
import { ChaosStack } from './stack';
import { createWorkload, prng, type ActorKind } from './workload';

export interface ChaosOptions {
  variant: 'quick' | 'full';
  seed: number;
  /** Organisations the load is spread over (a separate one gets the canaries). */
  loadOrgs: number;
  eventsPerSecond: number;
  batchSize: number;
  workers: number;
  /** Load before the first fault. */
  warmupMs: number;
  /** Load flowing normally before each fault is injected. */
  beforeFaultMs: number;
  /** How long a killed process stays dead. */
  downMs: number;
  /** Load after the last fault, before the producer stops. */
  tailMs: number;
  /** Longest wait for the pipeline to work end to end again after a fault. */
  recoveryTimeoutMs: number;
  /** Longest wait for the pipeline to drain after the load. */
  settleTimeoutMs: number;
  /** VIGIL_CONSUMER_ACK_WAIT_MS for every service: redeliveries after a crash come in seconds. */
  ackWaitMs: number;
  log: (line: string) => void;
}

export const QUICK: Omit<ChaosOptions, 'log' | 'seed'> = {
  variant: 'quick',
  loadOrgs: 2,
  eventsPerSecond: 40,
  batchSize: 10,
  workers: 4,
  warmupMs: 2_000,
  beforeFaultMs: 1_000,
  downMs: 1_500,
  tailMs: 2_000,
  recoveryTimeoutMs: 90_000,
  settleTimeoutMs: 180_000,
  ackWaitMs: 2_000,
};

export const FULL: Omit<ChaosOptions, 'log' | 'seed'> = {
  variant: 'full',
  loadOrgs: 3,
  eventsPerSecond: 150,
  batchSize: 25,
  workers: 6,
  warmupMs: 10_000,
  beforeFaultMs: 5_000,
  downMs: 5_000,
  tailMs: 10_000,
  recoveryTimeoutMs: 240_000,
  settleTimeoutMs: 300_000,
  ackWaitMs: 2_000,
};

export type FaultName = ServiceName | 'nats' | 'postgres';
export const FAULTS: readonly FaultName[] = [...SERVICES, 'nats', 'postgres'];

const FAULT_ACTION: Record<FaultName, string> = {
  gateway: 'SIGKILL gateway, restart',
  ingest: 'SIGKILL ingest, restart',
  detection: 'SIGKILL detection, restart',
  incident: 'SIGKILL incident, restart',
  notification: 'SIGKILL notification, restart',
  reporting: 'SIGKILL reporting, restart',
  nats: 'SIGKILL nats-server, restart (same port, same JetStream store)',
  postgres: 'pg_ctl stop -m immediate, start (crash recovery)',
};

export interface FaultResult {
  fault: FaultName;
  action: string;
  /** Fault injected at, ms after the load started. */
  atMs: number;
  killedAt: Date;
  /** From the kill until the broken part was running again (readyz 200 / accepting connections). */
  restartedAfterMs?: number;
  /** From the kill until a canary attack sent at the kill had its incident, report line and email. */
  recoveredAfterMs?: number;
  error?: string;
  stats: PhaseStats;
}

export interface ChaosRun {
  options: Omit<ChaosOptions, 'log'>;
  startedAt: Date;
  durationMs: number;
  versions: { postgres: string; nats: string; node: string };
  faults: FaultResult[];
  phases: Record<string, PhaseStats>;
  totals: PhaseStats;
  actors: Record<ActorKind, number>;
  settleMs?: number;
  settleError?: string;
  verification?: Verification;
  /** Every invariant, including recovery and settling; the run passes iff all are ok. */
  checks: Check[];
  passed: boolean;
  logsDir?: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The chaos run: offered load with attacks mixed into noise while, in turn, each service is SIGKILLed
 * and restarted, NATS is killed and restarted, and PostgreSQL crashes and restarts. Then the pipeline
 * must drain and every promise hold (see verify).
 */
export async function runChaos(opts: ChaosOptions): Promise<ChaosRun> {
  const startedAt = new Date();
  const t0 = Date.now();
  const log = (line: string) => opts.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)}s] ${line}`);
  const { log: _log, ...options } = opts;

  log(`starting private PostgreSQL, NATS, SMTP sink and the six services (seed ${opts.seed})`);
  const stack = await ChaosStack.start({ env: { VIGIL_CONSUMER_ACK_WAIT_MS: String(opts.ackWaitMs) } });
  const faults: FaultResult[] = [];
  stack.supervise((service, outcome) => log(`supervisor: ${service} died on its own; ${outcome}`));
  let producer: Producer | undefined;
  let workload: ReturnType<typeof createWorkload> | undefined;
  let settleMs: number | undefined;
  let settleError: string | undefined;
  let verification: Verification | undefined;
  let loadStartedAt = Date.now();
  const extraChecks: Check[] = [];
  let fatal: string | undefined;
  let run: ChaosRun | undefined;
  try {
    const orgs = [];
    for (let i = 0; i <= opts.loadOrgs; i++) {
      const name = i < opts.loadOrgs ? `Chaos Org ${i + 1}` : 'Chaos Canary';
      orgs.push(await stack.createOrg(name, [`security@org${i + 1}.example.test`]));
    }
    const orgIds = orgs.map((o) => o.orgId);
    // The oracle models brute_force.ip; the workload's login noise (thousands of accounts failing 1-3
    // times from their own IPs) is also org-wide password spraying, which it does not model: switched
    // off in detection's table before any traffic (the API would add an audited admin.action event that
    // the stored-events check does not expect).
    for (const o of orgs) {
      await stack.db.query(`insert into detection.rule_settings (org_id, rule_id, settings, updated_by) values ($1, 'password_spraying.org', '{"enabled": false}', 'chaos')`, [o.orgId]);
    }
    const canaryOrg = opts.loadOrgs;
    // Alerts need the org's recipients; let notification learn them before the first attack.
    await waitFor(async () => (await stack.count('select count(distinct org_id) as n from notification.org_admin_recipients')) === orgs.length, {
      timeoutMs: 60_000,
      description: 'notification to know every org',
    });

    producer = new Producer({ gatewayUrl: stack.gatewayUrl, keys: orgs.map((o) => o.key) });
    workload = createWorkload({ seed: opts.seed, orgs: opts.loadOrgs });
    const p = producer;
    const w = workload;

    log(`load: ${opts.eventsPerSecond} events/s in batches of ${opts.batchSize}, ${opts.workers} senders, ${opts.loadOrgs} orgs`);
    p.setPhase('warm-up');
    loadStartedAt = Date.now();
    p.startLoad({ workload: w, orgs: opts.loadOrgs, eventsPerSecond: opts.eventsPerSecond, batchSize: opts.batchSize, workers: opts.workers, random: prng(opts.seed ^ 0x5eed) });
    await sleep(opts.warmupMs);

    let lastCanaryIp = '';
    for (const fault of FAULTS) {
      p.setPhase('between faults');
      await sleep(opts.beforeFaultMs);
      p.setPhase(fault);
      const killedAt = Date.now();
      const result: FaultResult = { fault, action: FAULT_ACTION[fault], atMs: killedAt - loadStartedAt, killedAt: new Date(killedAt), stats: p.stats(fault) };
      faults.push(result);
      log(`${fault}: ${result.action}`);
      try {
        await inject(stack, fault);
        const canary = w.canary(canaryOrg);
        lastCanaryIp = canary.ip;
        const canarySent = p.send(canary.events);
        await sleep(opts.downMs);
        await restore(stack, fault);
        result.restartedAfterMs = Date.now() - killedAt;
        await waitFor(async () => (await canaryThrough(stack, orgIds[canaryOrg]!, canary.ip)) && (await stack.notReady()).length === 0, {
          timeoutMs: opts.recoveryTimeoutMs,
          intervalMs: 100,
          description: `a canary attack to get through after the ${fault} fault`,
        });
        await canarySent;
        result.recoveredAfterMs = Date.now() - killedAt;
        log(`${fault}: back after ${(result.restartedAfterMs / 1000).toFixed(1)} s, pipeline through after ${(result.recoveredAfterMs / 1000).toFixed(1)} s`);
      } catch (err) {
        result.error = err instanceof Error ? err.message : String(err);
        const dead = await stack.deadServices().catch(() => []);
        const notReady = await stack.notReady().catch(() => []);
        const stage = await canaryStage(stack, orgIds[canaryOrg]!, lastCanaryIp).catch((e: unknown) => `canary stage unknown: ${String(e)}`);
        const backlog = await stack.backlog().catch(() => undefined);
        result.error += `\n${stage}; dead services: ${dead.join(', ') || 'none'}; not ready: ${notReady.join(', ') || 'none'}; busy: ${JSON.stringify(backlog)}`;
        log(`${fault}: NOT RECOVERED: ${result.error.split('\n')[0]}\n    ${stage}; dead: ${dead.join(', ') || 'none'}; not ready: ${notReady.join(', ') || 'none'}`);
        // Make sure the next fault starts from a whole stack, whatever happened here.
        await ensureWhole(stack).catch((e: unknown) => log(`could not restore the stack: ${String(e)}`));
      }
    }

    p.setPhase('tail');
    await sleep(opts.tailMs);
    log('stopping the load; waiting for every batch in flight to be answered');
    await p.stopLoad();
    p.setPhase('drain');

    log('waiting for the pipeline to settle');
    const settleStart = Date.now();
    try {
      await stack.settle(opts.settleTimeoutMs);
      settleMs = Date.now() - settleStart;
      log(`settled in ${(settleMs / 1000).toFixed(1)} s`);
    } catch (err) {
      settleError = err instanceof Error ? err.message : String(err);
      log(`did NOT settle: ${settleError}`);
    }
    const consumers = await stack.consumers();
    verification = await verify(stack, p.records.values(), { orgIds, consumers, notificationKilledAt: faults.find((f) => f.fault === 'notification')?.killedAt });
  } catch (err) {
    fatal = err instanceof Error ? err.stack ?? err.message : String(err);
    log(`run aborted: ${fatal}`);
  } finally {
    producer?.abort();
    const logsDir = (() => {
      try {
        return stack.saveLogs();
      } catch {
        return undefined;
      }
    })();
    await stack.stop();
    extraChecks.push({
      name: 'every fault recovered: a canary attack got through end to end',
      ok: faults.length === FAULTS.length && faults.every((f) => f.recoveredAfterMs !== undefined),
      expected: `${FAULTS.length} faults recovered`,
      actual: faults.filter((f) => f.recoveredAfterMs === undefined).map((f) => `${f.fault}: ${f.error?.split('\n')[0] ?? 'not run'}`).join('; ') || 'all recovered',
    });
    extraChecks.push({
      name: 'the pipeline settled after the load (outboxes empty, consumers drained, emails sent)',
      ok: settleError === undefined && verification !== undefined,
      expected: `within ${opts.settleTimeoutMs / 1000} s`,
      actual: settleError ? settleError.split('\n').slice(0, 2).join(' ') : settleMs !== undefined ? `${(settleMs / 1000).toFixed(1)} s` : 'not reached',
    });
    extraChecks.push({
      name: 'no process died on its own (only the suite kills)',
      ok: stack.unexpectedExits.length === 0,
      expected: '0 unexpected exits',
      actual: stack.unexpectedExits.length
        ? stack.unexpectedExits.map((e) => `${e.service} (pid ${e.pid}) exited code ${e.code} signal ${e.signal} during ${phaseAt(faults, loadStartedAt, e.at)}`).join('; ')
        : '0',
      detail: stack.unexpectedExits.length
        ? stack.unexpectedExits.map((e) => `${e.service}: ${e.logTail.split('\n').filter((l) => /Error|error|throw/.test(l)).slice(0, 3).join(' / ')}`).join('; ')
        : undefined,
    });
    if (fatal) extraChecks.unshift({ name: 'the run completed', ok: false, expected: 'no error', actual: fatal.split('\n')[0]!, detail: fatal });
    const checks = [...extraChecks, ...(verification?.checks ?? [])];
    run = {
      options,
      startedAt,
      durationMs: Date.now() - t0,
      versions: { postgres: stack.pg.version, nats: stack.nats.version, node: process.version },
      faults,
      phases: Object.fromEntries(producer?.phases ?? []),
      totals: producer?.totals() ?? ({} as PhaseStats),
      actors: workload?.actorCounts() ?? ({} as Record<ActorKind, number>),
      settleMs,
      settleError,
      verification,
      checks,
      passed: verification !== undefined && checks.every((c) => c.ok),
      logsDir,
    };
  }
  return run;
}

/** Which fault (or the load around them) a moment falls into, for the report. */
function phaseAt(faults: FaultResult[], loadStartedAt: number, at: Date): string {
  const ms = at.getTime() - loadStartedAt;
  let current = 'start-up';
  for (const f of faults) if (f.atMs <= ms) current = `the ${f.fault} fault`;
  return current;
}

async function inject(stack: ChaosStack, fault: FaultName): Promise<void> {
  if (fault === 'nats') return stack.nats.kill('SIGKILL');
  if (fault === 'postgres') return stack.pg.crash();
  return stack.killService(fault);
}

async function restore(stack: ChaosStack, fault: FaultName): Promise<void> {
  if (fault === 'nats') return stack.nats.start();
  if (fault === 'postgres') return stack.pg.start();
  await stack.startService(fault);
}

/** After a failed recovery: whatever is down comes back up, so later faults are measured fairly. */
async function ensureWhole(stack: ChaosStack): Promise<void> {
  await stack.startKilledServices();
  if (!(await stack.nats.isRunning())) await stack.nats.start();
  if (!(await stack.pg.isRunning())) await stack.pg.start();
}

/** How far a canary attack got: names the stage where the pipeline is stuck. */
async function canaryStage(stack: ChaosStack, orgId: string, ip: string): Promise<string> {
  const stored = await stack.count(`select count(*) as n from ingest.raw_events where org_id = $1 and envelope->'data'->>'ip' = $2`, [orgId, ip]);
  const incidents = await stack.db.query<{ id: string; number: string }>(
    `select id, number from incident.incidents where org_id = $1 and (origin->>'ip' = $2 or correlation_key like '%:' || $2)`,
    [orgId, ip],
  );
  const id = incidents[0]?.id;
  const recorded = id ? await stack.count('select count(*) as n from reporting.incident_records where incident_id = $1', [id]) : 0;
  const deliveries = id
    ? await stack.db.query<{ status: string; attempts: number }>(
        'select d.status, d.attempts from notification.deliveries d join notification.notifications n on n.id = d.notification_id where n.incident_id = $1',
        [id],
      )
    : [];
  return `canary ${ip}: ${stored} of 6 events stored, incident ${incidents[0]?.number ?? 'none'}, report line ${recorded ? 'yes' : 'no'}, email ${deliveries.map((d) => `${d.status} after ${d.attempts} attempt(s)`).join(', ') || 'none'}`;
}

async function canaryThrough(stack: ChaosStack, orgId: string, ip: string): Promise<boolean> {
  const rows = await stack.db.query<{ recorded: string; sent: string }>(
    `select (select count(*) from reporting.incident_records r where r.incident_id = i.id) as recorded,
            (select count(*) from notification.deliveries d join notification.notifications n on n.id = d.notification_id
              where n.incident_id = i.id and d.status = 'sent') as sent
       from incident.incidents i
      where i.org_id = $1 and (i.origin->>'ip' = $2 or i.correlation_key like '%:' || $2)`,
    [orgId, ip],
  );
  return rows.some((r) => Number(r.recorded) > 0 && Number(r.sent) > 0);
}
