import { Controller, Get, Inject, Query, Req, Res, UseGuards, type BeforeApplicationShutdown } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { NatsConnection, Subscription } from 'nats';
import type { Logger } from 'pino';
import { decisionCursorSchema, decisionListQueryV1, decisionStreamParamsV1, zodErrors, DECISION_PAGE_MAX } from '@vigil/contracts';
import { LOGGER, NATS, ProblemException } from '@vigil/platform';
import { ApiKeyGuard, RequireScope, type AuthenticatedRequest } from '../auth/api-key.guard';
import { RpcClient } from '../rpc.client';

const KEEPALIVE_MS = 15_000;

/**
 * `GET /v1/decisions/stream`: the change feed as Server-Sent Events, for a login service that would
 * rather be told than poll. A `decision.*.<org>` message on NATS only wakes the stream; what is sent
 * always comes from detection's change feed after the stream's cursor, so nothing is skipped or sent
 * out of order, and a reconnect with Last-Event-ID resumes exactly.
 */
@Controller('v1/decisions')
@UseGuards(ApiKeyGuard)
export class DecisionStreamController implements BeforeApplicationShutdown {
  private readonly open = new Set<() => void>();

  constructor(
    private readonly rpc: RpcClient,
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  /** Open streams would keep the HTTP server from closing: end them first. */
  beforeApplicationShutdown(): void {
    for (const end of [...this.open]) end();
  }

  @Get('stream')
  @RequireScope('decisions:read')
  async stream(@Req() req: AuthenticatedRequest, @Query() query: unknown, @Res() reply: FastifyReply): Promise<void> {
    const params = decisionStreamParamsV1.safeParse(query ?? {});
    if (!params.success) throw new ProblemException({ status: 400, title: 'Bad Request', detail: 'invalid query parameters', errors: zodErrors(params.error) });
    const lastEventId = req.headers['last-event-id'];
    const resumeFrom = typeof lastEventId === 'string' ? decisionCursorSchema.safeParse(lastEventId) : undefined;
    if (resumeFrom && !resumeFrom.success) throw new ProblemException({ status: 400, title: 'Bad Request', detail: 'Last-Event-ID is not an id this stream sent' });
    const orgId = req.principal.orgId;

    // Subscribed before the starting point is read: a change in between wakes the stream, never slips by.
    const sub: Subscription = this.nc.subscribe(`decision.*.${orgId}`);
    let cursor: number;
    try {
      const since = resumeFrom?.data ?? params.data.since;
      cursor = since !== undefined ? Number(since) : (await this.rpc.query(decisionListQueryV1, { orgId, after: 0, limit: 1 }, 'detection')).latestSeq;
    } catch (err) {
      sub.unsubscribe();
      throw err;
    }

    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    raw.write(`retry: 2000\n: cursor ${cursor}\n\n`);

    let closed = false;
    const keepalive = setInterval(() => raw.write(': keepalive\n\n'), KEEPALIVE_MS);
    const end = () => {
      if (closed) return;
      closed = true;
      clearInterval(keepalive);
      sub.unsubscribe();
      this.open.delete(end);
      raw.end();
    };
    this.open.add(end);
    raw.on('close', end);

    // One page at a time; wake-ups that arrive meanwhile fold into one more pass.
    let running = false;
    let again = false;
    const drain = async (): Promise<void> => {
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        do {
          again = false;
          for (;;) {
            const page = await this.rpc.query(decisionListQueryV1, { orgId, after: cursor, limit: DECISION_PAGE_MAX }, 'detection');
            if (closed) return;
            page.items.forEach((d, i) => {
              const last = i === page.items.length - 1;
              // The page's cursor rides on its last event: a client resuming mid-page gets the page again (idempotent).
              raw.write(`event: ${d.revokedAt ? 'decision.revoked' : 'decision.created'}\n${last ? `id: ${page.lastSeq}\n` : ''}data: ${JSON.stringify(d)}\n\n`);
            });
            cursor = page.lastSeq;
            if (page.items.length < DECISION_PAGE_MAX) break;
          }
        } while (again && !closed);
      } catch (err) {
        // Detection unreachable: end the stream; the client reconnects with Last-Event-ID and misses nothing.
        this.log.warn({ err, orgId }, 'decision stream failed');
        end();
      } finally {
        running = false;
      }
    };
    void drain();
    void (async () => {
      for await (const _ of sub) void drain();
    })();
  }
}
