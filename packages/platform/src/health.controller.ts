import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { NatsConnection } from 'nats';
import { pingDatabase, type Database } from '@vigil/db';
import { pingNats } from '@vigil/messaging';
import { DATABASE, NATS, SERVICE_OPTIONS } from './tokens';
import { ServiceRuntime, type ServiceOptions } from './runtime';

async function check(fn: () => Promise<void>, timeoutMs = 2_000): Promise<'ok' | string> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return 'ok';
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  } finally {
    clearTimeout(timer);
  }
}

@Controller()
export class HealthController {
  constructor(
    @Inject(SERVICE_OPTIONS) private readonly opts: ServiceOptions,
    @Inject(DATABASE) private readonly database: Database<unknown>,
    @Inject(NATS) private readonly nc: NatsConnection,
    private readonly runtime: ServiceRuntime,
  ) {}

  /** Liveness: the process answers. Never touches dependencies, so a DB outage doesn't restart-loop pods. */
  @Get('healthz')
  @HttpCode(200)
  healthz() {
    return { status: 'ok', service: this.opts.service };
  }

  /**
   * Readiness: PostgreSQL and NATS both answer now, and no consumer has stalled (pull loop gone, or work
   * waiting with nothing settled for longer than VIGIL_CONSUMER_STALL_MS); a stalled one is named.
   */
  @Get('readyz')
  async readyz(@Res() reply: FastifyReply) {
    const [postgres, nats, consumers] = await Promise.all([
      check(() => pingDatabase(this.database.pool)),
      check(() => pingNats(this.nc)),
      this.consumers(),
    ]);
    const ready = postgres === 'ok' && nats === 'ok' && consumers === 'ok';
    void reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', service: this.opts.service, checks: { postgres, nats, consumers } });
  }

  private async consumers(): Promise<'ok' | string> {
    try {
      const stalled = (await this.runtime.consumerStatuses()).filter((s) => s.stalled);
      return stalled.length ? stalled.map((s) => `${s.durable} stalled: ${s.stalled}`).join('; ') : 'ok';
    } catch (err) {
      return err instanceof Error ? err.message : String(err);
    }
  }
}
