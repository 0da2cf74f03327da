import { Controller, Get, HttpCode, Inject, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { NatsConnection } from 'nats';
import { pingDatabase, type Database } from '@vigil/db';
import { pingNats } from '@vigil/messaging';
import { DATABASE, NATS, SERVICE_OPTIONS } from './tokens';
import type { ServiceOptions } from './runtime';

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
  ) {}

  /** Liveness: the process answers. Never touches dependencies, so a DB outage doesn't restart-loop pods. */
  @Get('healthz')
  @HttpCode(200)
  healthz() {
    return { status: 'ok', service: this.opts.service };
  }

  /** Readiness: PostgreSQL and NATS both answer now. */
  @Get('readyz')
  async readyz(@Res() reply: FastifyReply) {
    const [postgres, nats] = await Promise.all([check(() => pingDatabase(this.database.pool)), check(() => pingNats(this.nc))]);
    const ready = postgres === 'ok' && nats === 'ok';
    void reply.status(ready ? 200 : 503).send({ status: ready ? 'ready' : 'unavailable', service: this.opts.service, checks: { postgres, nats } });
  }
}
