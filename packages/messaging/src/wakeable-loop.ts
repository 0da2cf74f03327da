import type { Pool, PoolClient } from 'pg';
import type { Logger } from 'pino';

export interface WakeableLoopOptions {
  /** For logs. */
  name: string;
  pool: Pool;
  /** NOTIFY channel that means "there is work"; fired by a trigger on commit. */
  channel: string;
  /** Does all the work there is, then resolves. Never runs twice at once. */
  work: () => Promise<void>;
  log: Logger;
  /** Safety-net poll: work that falls due by time, a NOTIFY lost with a dropped connection. */
  pollMs?: number;
  /** Least time between attempts to re-LISTEN after the listening connection was lost. */
  relistenMs?: number;
}

/**
 * Runs `work` when PostgreSQL says there is some (LISTEN/NOTIFY) and on a slow poll; wake-ups during a
 * run coalesce into one more run. The outbox relay and the email delivery worker both drive their
 * table-backed queues with it.
 */
export class WakeableLoop {
  private listener?: { client: PoolClient; release: (err?: Error) => void };
  private listening?: Promise<void>;
  private lastListenAttempt = 0;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private again = false;
  private stopped = true;

  constructor(private readonly opts: WakeableLoopOptions) {}

  get isStopped(): boolean {
    return this.stopped;
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.ensureListening();
    this.timer = setInterval(() => {
      void this.ensureListening();
      this.kick();
    }, this.opts.pollMs ?? 1_000);
    this.kick();
  }

  /** Stops waking up; the run in progress finishes. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    while (this.running) await this.running;
    await this.listening;
    await this.closeListener();
  }

  /** Runs now (or once more after the current run) and resolves when no work is left. */
  async flush(): Promise<void> {
    this.kick();
    while (this.running) await this.running;
  }

  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.opts
      .work()
      .catch((err: unknown) => this.opts.log.error({ err, loop: this.opts.name }, 'run failed; will retry'))
      .finally(() => {
        this.running = undefined;
        if (this.again && !this.stopped) {
          this.again = false;
          this.kick();
        }
      });
  }

  private ensureListening(): Promise<void> {
    if (this.stopped || this.listener || this.listening) return this.listening ?? Promise.resolve();
    if (Date.now() - this.lastListenAttempt < (this.opts.relistenMs ?? 5_000)) return Promise.resolve();
    this.lastListenAttempt = Date.now();
    this.listening = this.listen()
      .catch((err: unknown) => this.opts.log.warn({ err, loop: this.opts.name }, 'could not LISTEN; polling continues'))
      .finally(() => {
        this.listening = undefined;
      });
    return this.listening;
  }

  private async listen(): Promise<void> {
    const client = await this.opts.pool.connect();
    let released = false;
    const release = (err?: Error) => {
      if (released) return;
      released = true;
      if (this.listener?.client === client) this.listener = undefined;
      client.release(err); // with an error, a broken connection never goes back into the pool
    };
    client.on('notification', () => this.kick());
    client.on('error', (err: Error) => {
      this.opts.log.warn({ err, loop: this.opts.name }, 'listener lost; polling continues');
      release(err);
    });
    try {
      await client.query(`listen ${this.opts.channel}`);
    } catch (err) {
      release(err as Error);
      throw err;
    }
    if (this.stopped) {
      await client.query('unlisten *').catch(() => undefined);
      release();
      return;
    }
    this.listener = { client, release };
  }

  private async closeListener(): Promise<void> {
    const listener = this.listener;
    if (!listener) return;
    await listener.client.query('unlisten *').catch(() => undefined);
    listener.release();
  }
}
