import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import type { Logger } from 'pino';
import { firstValueFrom, timeout } from 'rxjs';
import { isQueryError, type QueryDefinition, type QueryReply, type QueryRequest } from '@vigil/contracts';
import { CONFIG, LOGGER, ProblemException, type BaseConfig } from '@vigil/platform';

const RPC_TIMEOUT_MS = 5_000;

/** A successful reply: the query's reply minus the replier's "bad request" answer (turned into a 400). */
export type QueryAnswer<Q extends QueryDefinition> = Exclude<QueryReply<Q>, { error: string }>;

/** Core NATS request/reply to the services that own the data (incident, reporting). */
@Injectable()
export class RpcClient implements OnModuleInit, OnApplicationShutdown {
  private readonly client: ClientProxy;

  constructor(
    @Inject(CONFIG) config: BaseConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.client = ClientProxyFactory.create({ transport: Transport.NATS, options: { servers: config.NATS_URL.split(','), name: 'vigil-gateway-rpc' } });
  }

  async onModuleInit(): Promise<void> {
    await this.client.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }

  /**
   * Asks a versioned query and reads the reply with its contract, so what the API returns is exactly
   * what the contract (and the OpenAPI document generated from it) says. A missing or slow owner is a
   * 503/504, a reply that breaks the contract a 502, never a hang or an unchecked body.
   */
  async query<Q extends QueryDefinition>(query: Q, request: QueryRequest<Q>, owner: string, opts: { timeoutMs?: number } = {}): Promise<QueryAnswer<Q>> {
    const payload = query.request.parse(request);
    let raw: unknown;
    try {
      raw = await firstValueFrom(this.client.send<unknown>(query.subject, payload).pipe(timeout(opts.timeoutMs ?? RPC_TIMEOUT_MS)));
    } catch (err) {
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      if (timedOut) throw new ProblemException({ status: 504, title: 'Gateway Timeout', detail: `the ${owner} service did not answer in time` });
      this.log.warn({ err, subject: query.subject }, 'query failed');
      // Nest relays a replier's exception as a plain object; transport failures are Errors.
      if (!(err instanceof Error)) throw new ProblemException({ status: 502, title: 'Bad Gateway', detail: `the ${owner} service failed to answer` });
      throw new ProblemException({ status: 503, title: 'Service Unavailable', detail: `the ${owner} service is not available` });
    }
    const reply = query.reply.safeParse(raw);
    if (!reply.success) {
      this.log.error({ subject: query.subject, issues: reply.error.issues.slice(0, 10) }, 'reply breaks its contract');
      throw new ProblemException({ status: 502, title: 'Bad Gateway', detail: `the ${owner} service answered with a reply that breaks its contract (${query.subject})` });
    }
    if (isQueryError(reply.data)) {
      // A replier that validated a body (e.g. rule settings) names each problem with a JSON pointer.
      const errors = (reply.data as { errors?: { pointer: string; message: string }[] }).errors;
      throw new ProblemException({ status: 400, title: 'Bad Request', detail: reply.data.detail, ...(errors ? { errors } : {}) });
    }
    return reply.data as QueryAnswer<Q>;
  }
}
