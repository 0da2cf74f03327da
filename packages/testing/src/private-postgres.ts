import { execFile, execFileSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { appendFile, chmod, chown, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { isExecutable } from './child-processes';
import { freePort, waitFor } from './wait';

const run = promisify(execFile);

/**
 * A PostgreSQL cluster of its own (initdb in a temp dir, loopback port, trust auth) that a test may
 * crash and restart at will, which the shared server on :5432 must never be.
 */
export interface PrivatePostgres {
  /** Superuser URL: postgres://postgres@127.0.0.1:<port>/postgres */
  adminUrl: string;
  port: number;
  dataDir: string;
  /** e.g. "postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)" */
  version: string;
  /** `pg_ctl -m immediate stop`: every backend dies at once, no checkpoint (recovery from WAL on start). */
  crash(): Promise<void>;
  /** Starts the cluster again on the same port and data dir; resolves once it accepts connections. */
  start(): Promise<void>;
  /** crash() then start(). */
  restart(): Promise<void>;
  /** `pg_ctl status`: whether the server of this data dir is running. */
  isRunning(): Promise<boolean>;
  /** Fast shutdown and removal of the data dir. */
  stop(): Promise<void>;
}

export class PostgresBinariesMissing extends Error {}

const BIN_DIR_ROOT = '/usr/lib/postgresql';

/**
 * The directory holding initdb and pg_ctl: POSTGRES_BIN_DIR, else the newest /usr/lib/postgresql/<v>/bin
 * (Debian keeps them off PATH), else PATH.
 */
export function findPostgresBinDir(): string | undefined {
  const candidates: string[] = [];
  if (process.env.POSTGRES_BIN_DIR) candidates.push(process.env.POSTGRES_BIN_DIR);
  try {
    const versions = readdirSync(BIN_DIR_ROOT).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(BIN_DIR_ROOT, v, 'bin')));
  } catch {
    // not Debian-style
  }
  candidates.push(...(process.env.PATH ?? '').split(':').filter(Boolean));
  return candidates.find((d) => isExecutable(join(d, 'initdb')) && isExecutable(join(d, 'pg_ctl')));
}

const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/** PostgreSQL refuses to run as root: as root, run its tools as the `postgres` user. */
function asOwner(bin: string, args: string[]): [string, string[]] {
  return isRoot() ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
}

async function runAsOwner(bin: string, args: string[], timeoutMs = 120_000): Promise<string> {
  const [file, argv] = asOwner(bin, args);
  try {
    const { stdout } = await run(file, argv, { cwd: '/', timeout: timeoutMs });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${bin} ${args.join(' ')} failed: ${e.message}\n${e.stderr ?? ''}${e.stdout ?? ''}`);
  }
}

const running = new Set<{ binDir: string; dataDir: string }>();
let exitHooked = false;

/** pg_ctl daemonises the server, so it is no child of ours: stop it by data dir if we exit first. */
function hookExit(): void {
  if (exitHooked) return;
  exitHooked = true;
  process.once('exit', () => {
    for (const c of running) {
      try {
        const [file, argv] = asOwner(join(c.binDir, 'pg_ctl'), ['-D', c.dataDir, '-m', 'immediate', '-w', '-t', '20', 'stop']);
        execFileSync(file, argv, { cwd: '/', stdio: 'ignore', timeout: 30_000 });
      } catch {
        // already stopped
      }
      rmSync(c.dataDir, { recursive: true, force: true });
    }
  });
}

async function acceptsConnections(url: string): Promise<boolean> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * initdb + pg_ctl start of a fresh cluster on a free loopback port (trust auth, no unix socket).
 * Throws PostgresBinariesMissing when no initdb/pg_ctl exists, so callers can skip with a reason.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const binDir = findPostgresBinDir();
  if (!binDir) {
    throw new PostgresBinariesMissing(
      'PostgreSQL server binaries (initdb, pg_ctl) not found in POSTGRES_BIN_DIR, /usr/lib/postgresql/*/bin or PATH; ' +
        'install them (`apt-get install postgresql-15` on Debian)',
    );
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'vigil-pg-'));
  if (isRoot()) {
    const { stdout } = await run('id', ['-u', 'postgres']).catch(() => {
      throw new Error("running as root, but there is no 'postgres' user to run PostgreSQL as");
    });
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dataDir, Number(stdout.trim()), Number(gid.trim()));
  }
  await chmod(dataDir, 0o700);
  const handle = { binDir, dataDir };

  try {
    await runAsOwner(join(binDir, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-locale', '-E', 'UTF8', '--no-sync']);
  } catch (err) {
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const version = (await runAsOwner(join(binDir, 'postgres'), ['--version'])).trim();

  let port = 0;
  const start = async (): Promise<void> => {
    running.add(handle);
    hookExit();
    await runAsOwner(join(binDir, 'pg_ctl'), ['-D', dataDir, '-l', join(dataDir, 'server.log'), '-w', '-t', '120', 'start']);
    await waitFor(() => acceptsConnections(adminUrl()), { timeoutMs: 60_000, description: `private PostgreSQL on 127.0.0.1:${port}` });
  };
  const adminUrl = () => `postgres://postgres@127.0.0.1:${port}/postgres`;

  // freePort() may race with another process: a cluster that fails to bind gets a new port.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    port = await freePort();
    await appendFile(
      join(dataDir, 'postgresql.conf'),
      [
        '',
        '# startPrivatePostgres (packages/testing)',
        `port = ${port}`,
        "listen_addresses = '127.0.0.1'",
        "unix_socket_directories = ''",
        // Tests crash the server process, not the machine: committed WAL is in the OS page cache
        // either way, so crash recovery sees the same data with or without fsync.
        'fsync = off',
        'max_connections = 200',
        '',
      ].join('\n'),
    );
    try {
      await start();
      lastError = undefined;
      break;
    } catch (err) {
      lastError = err;
      running.delete(handle);
    }
  }
  if (lastError) {
    const log = await readFile(join(dataDir, 'server.log'), 'utf8').catch(() => '');
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`${lastError instanceof Error ? lastError.message : String(lastError)}\n--- server.log ---\n${log.slice(-4000)}`);
  }

  const pgCtl = (args: string[]) => runAsOwner(join(binDir, 'pg_ctl'), ['-D', dataDir, ...args]);
  const crash = async (): Promise<void> => {
    await pgCtl(['-m', 'immediate', '-w', '-t', '60', 'stop']);
  };
  let stopped: Promise<void> | undefined;
  return {
    adminUrl: adminUrl(),
    port,
    dataDir,
    version,
    crash,
    start,
    async restart() {
      await crash();
      await start();
    },
    isRunning: () => pgCtl(['status']).then(
      () => true,
      () => false,
    ),
    stop() {
      stopped ??= (async () => {
        await pgCtl(['-m', 'fast', '-w', '-t', '60', 'stop']).catch(() => pgCtl(['-m', 'immediate', '-w', '-t', '60', 'stop']).catch(() => undefined));
        running.delete(handle);
        rmSync(dataDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}
