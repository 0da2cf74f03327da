import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { get } from 'node:http';
import { dirname, join } from 'node:path';
import { hasExited, LineBuffer, terminate, track, type ChildExit } from './child-processes';

export interface ServiceProcessOptions {
  name: string;
  /** Absolute path of a compiled main.js. */
  entry: string;
  env: Record<string, string>;
  port: number;
  /** Default 30000. */
  readyTimeoutMs?: number;
  /** Flags for node itself, before the entry (e.g. --cpu-prof, which NODE_OPTIONS refuses). */
  nodeArgs?: string[];
}

export interface ServiceProcess {
  name: string;
  port: number;
  /** http://127.0.0.1:port */
  url: string;
  pid: number;
  /** The last ~500 lines of combined stdout/stderr. */
  logs(): string;
  exited: Promise<ChildExit>;
  /** SIGTERM, up to 10 s to shut down, then SIGKILL. */
  stop(): Promise<void>;
  /** SIGKILL, e.g. to simulate a crash. */
  kill(): Promise<void>;
}

export type { ChildExit } from './child-processes';

const LOG_LINES = 500;

function readyz(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    // agent: false so no keep-alive socket outlives the probe.
    const req = get({ host: '127.0.0.1', port, path: '/readyz', agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Runs a compiled service as a real child process and resolves once GET /readyz answers 200. */
export async function startServiceProcess(opts: ServiceProcessOptions): Promise<ServiceProcess> {
  if (!existsSync(opts.entry)) {
    throw new Error(`${opts.name}: ${opts.entry} does not exist; build the service first (pnpm build)`);
  }
  const readyTimeoutMs = opts.readyTimeoutMs ?? 30_000;
  // VIGIL_SERVICE_NODE_ARGS: flags for every service process a run starts (profiling, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
  const nodeArgs = opts.nodeArgs ?? process.env.VIGIL_SERVICE_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...nodeArgs, opts.entry], {
    env: { ...process.env, ...opts.env, PORT: String(opts.port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = track(child);
  const buffer = new LineBuffer(LOG_LINES);
  buffer.attach(child.stdout);
  buffer.attach(child.stderr);

  const stop = async (): Promise<void> => {
    await terminate(child, exited, 10_000);
  };
  const kill = async (): Promise<void> => {
    if (!hasExited(child)) child.kill('SIGKILL');
    await exited;
  };

  const failure = (reason: string) =>
    new Error(`${opts.name} ${reason}\n--- last 40 log lines of ${opts.name} ---\n${buffer.tail(40)}`);

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (hasExited(child)) {
      const { code, signal } = await exited;
      throw failure(`exited (code ${code}, signal ${signal}) before /readyz answered 200`);
    }
    if (await readyz(opts.port)) break;
    if (Date.now() >= deadline) {
      await kill();
      throw failure(`did not answer 200 on http://127.0.0.1:${opts.port}/readyz within ${readyTimeoutMs} ms`);
    }
    await sleep(100);
  }

  return {
    name: opts.name,
    port: opts.port,
    url: `http://127.0.0.1:${opts.port}`,
    pid: child.pid as number,
    logs: () => buffer.tail(),
    exited,
    stop,
    kill,
  };
}

let root: string | undefined;

/** The monorepo root: the nearest folder above this file containing pnpm-workspace.yaml. */
export function repoRoot(): string {
  if (root) return root;
  for (let dir = __dirname; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return (root = dir);
    if (dirname(dir) === dir) throw new Error(`no pnpm-workspace.yaml above ${__dirname}`);
  }
}

/** `<repoRoot>/services/<name>/dist/main.js` */
export function serviceEntry(name: string): string {
  return join(repoRoot(), 'services', name, 'dist', 'main.js');
}
