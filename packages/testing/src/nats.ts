import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { connect } from 'nats';
import { hasExited, isExecutable, LineBuffer, terminate, track, type ChildExit } from './child-processes';
import { dockerReachable } from './docker';
import { freePort, waitFor } from './wait';

export interface TestNats {
  /** nats://host:port */
  url: string;
  /** Stops the server this call started; a no-op for VIGIL_TEST_NATS_URL. */
  stop(): Promise<void>;
}

const FALLBACK_BIN = '/usr/sbin/nats-server';
const READY_TIMEOUT_MS = 15_000;

function findNatsServer(): string | undefined {
  const fromEnv = process.env.NATS_SERVER_BIN;
  if (fromEnv) {
    if (!isExecutable(fromEnv)) throw new Error(`NATS_SERVER_BIN=${fromEnv} is not an executable file`);
    return fromEnv;
  }
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && isExecutable(join(dir, 'nats-server'))) return join(dir, 'nats-server');
  }
  return isExecutable(FALLBACK_BIN) ? FALLBACK_BIN : undefined;
}

/**
 * A private server that a test can crash and bring back: same port, same JetStream store dir, so
 * clients reconnect to it and streams, consumers and their positions survive (file storage).
 */
export interface RestartableNats extends TestNats {
  port: number;
  storeDir: string;
  /** `nats-server --version` output, e.g. "nats-server: v2.9.10". */
  version: string;
  /** SIGKILL (default, a crash) or SIGTERM (a clean shutdown); resolves once the process is gone. */
  kill(signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** Starts the server again on the same port and store dir; resolves once JetStream answers. */
  start(): Promise<void>;
  /** kill() then start(). */
  restart(signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** Whether the current server process is alive. */
  isRunning(): Promise<boolean>;
  /** The last lines of the current (or last) server's output. */
  logs(): string;
}

/**
 * A NATS server with JetStream for one test file: private, so parallel Jest workers never share
 * streams or consumers. With `restartable: true` it is always a local nats-server (never
 * VIGIL_TEST_NATS_URL or a container) that the caller may kill and start again.
 */
export function startNats(): Promise<TestNats>;
export function startNats(opts: { restartable: true }): Promise<RestartableNats>;
export function startNats(opts?: { restartable?: boolean }): Promise<TestNats>;
export async function startNats(opts: { restartable?: boolean } = {}): Promise<TestNats> {
  if (opts.restartable) {
    const bin = findNatsServer();
    if (!bin) {
      throw new Error('A restartable NATS needs a local nats-server: none found via NATS_SERVER_BIN, PATH or /usr/sbin/nats-server (`apt-get install nats-server` on Debian).');
    }
    return startRestartableNats(bin);
  }
  const fromEnv = process.env.VIGIL_TEST_NATS_URL;
  if (fromEnv) return { url: fromEnv, stop: async () => undefined };

  const bin = findNatsServer();
  if (bin) return startLocalNats(bin);
  if (await dockerReachable()) return startNatsContainer();
  throw new Error(
    'No nats-server for the tests: none found via NATS_SERVER_BIN, PATH or /usr/sbin/nats-server, and no Docker engine is reachable. ' +
      'Install it (`apt-get install nats-server` on Debian) or set VIGIL_TEST_NATS_URL to a JetStream-enabled server.',
  );
}

async function startLocalNats(bin: string): Promise<TestNats> {
  // freePort() can race with another worker; a server that fails to bind is retried on a new port.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await spawnNats(bin);
    } catch (err) {
      lastError = err;
    }
  }
  throw lastError;
}

interface NatsInstance {
  child: ChildProcess;
  exited: Promise<ChildExit>;
  logs: LineBuffer;
}

/** One nats-server process on a given port and store dir; resolves once JetStream answers. */
async function launchNats(bin: string, port: number, storeDir: string): Promise<NatsInstance> {
  const child = spawn(bin, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', storeDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = track(child);
  const logs = new LineBuffer(200);
  logs.attach(child.stdout);
  logs.attach(child.stderr);
  const url = `nats://127.0.0.1:${port}`;
  try {
    const outcome = await waitFor(
      async () => {
        if (hasExited(child)) return 'exited' as const;
        await tcpProbe(port);
        const nc = await connect({ servers: url, reconnect: false, timeout: 2000 });
        try {
          await nc.jetstreamManager();
        } finally {
          await nc.close();
        }
        return 'ready' as const;
      },
      { timeoutMs: READY_TIMEOUT_MS, description: `nats-server on ${url} with JetStream` },
    );
    if (outcome === 'exited') {
      const { code, signal } = await exited;
      throw new Error(`nats-server exited (code ${code}, signal ${signal}) before it was ready`);
    }
  } catch (err) {
    await terminate(child, exited, 3000);
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(`${message}\n--- nats-server output ---\n${logs.tail(40)}`);
  }
  return { child, exited, logs };
}

async function spawnNats(bin: string): Promise<TestNats> {
  const port = await freePort();
  const storeDir = await mkdtemp(join(tmpdir(), 'vigil-nats-'));
  let instance: NatsInstance;
  try {
    instance = await launchNats(bin, port, storeDir);
  } catch (err) {
    await rm(storeDir, { recursive: true, force: true });
    throw err;
  }
  let stopped: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await terminate(instance.child, instance.exited, 3000);
      await rm(storeDir, { recursive: true, force: true });
    })();
    return stopped;
  };
  return { url: `nats://127.0.0.1:${port}`, stop };
}

async function startRestartableNats(bin: string): Promise<RestartableNats> {
  const storeDir = await mkdtemp(join(tmpdir(), 'vigil-nats-'));
  const version = await new Promise<string>((resolve) => {
    execFile(bin, ['--version'], (err, stdout) => resolve(err ? 'unknown' : stdout.trim()));
  });
  let port = 0;
  let instance: NatsInstance | undefined;
  let lastError: unknown;
  for (let attempt = 0; attempt < 3 && !instance; attempt++) {
    port = await freePort();
    instance = await launchNats(bin, port, storeDir).catch((err: unknown) => {
      lastError = err;
      return undefined;
    });
  }
  if (!instance) {
    await rm(storeDir, { recursive: true, force: true });
    throw lastError;
  }
  let current: NatsInstance = instance;
  let lastLogs = current.logs;

  const kill = async (signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL'): Promise<void> => {
    if (!hasExited(current.child)) current.child.kill(signal);
    await current.exited;
  };
  const start = async (): Promise<void> => {
    if (!hasExited(current.child)) throw new Error(`nats-server on port ${port} is still running`);
    current = await launchNats(bin, port, storeDir);
    lastLogs = current.logs;
  };
  let stopped: Promise<void> | undefined;
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    version,
    kill,
    start,
    async restart(signal) {
      await kill(signal);
      await start();
    },
    logs: () => lastLogs.tail(),
    isRunning: async () => !hasExited(current.child),
    stop() {
      stopped ??= (async () => {
        await terminate(current.child, current.exited, 3000);
        await rm(storeDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}

function tcpProbe(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    socket.setTimeout(1000, () => socket.destroy(new Error(`connect to 127.0.0.1:${port} timed out`)));
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('error', reject);
  });
}

async function startNatsContainer(): Promise<TestNats> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const container = await new GenericContainer('nats:2.9')
    .withCommand(['-js'])
    .withExposedPorts(4222)
    .withWaitStrategy(Wait.forLogMessage(/Server is ready/))
    .start();
  let stopped: Promise<void> | undefined;
  return {
    url: `nats://${container.getHost()}:${container.getMappedPort(4222)}`,
    stop: () => {
      stopped ??= container.stop().then(() => undefined);
      return stopped;
    },
  };
}
