import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { ClientProxyFactory, Transport, type ClientProxy } from '@nestjs/microservices';
import { firstValueFrom, timeout } from 'rxjs';
import { CONFIG, ProblemException, type BaseConfig } from '@vigil/platform';

const RPC_TIMEOUT_MS = 5_000;

/** Core NATS request/reply to the services that own the data (incident, reporting). */
@Injectable()
export class RpcClient implements OnModuleInit, OnApplicationShutdown {
  private readonly client: ClientProxy;

  constructor(@Inject(CONFIG) config: BaseConfig) {
    this.client = ClientProxyFactory.create({ transport: Transport.NATS, options: { servers: config.NATS_URL.split(','), name: 'vigil-gateway-rpc' } });
  }

  async onModuleInit(): Promise<void> {
    await this.client.connect();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }

  /** Sends a query; a missing or slow owner becomes a 503/504 problem, never a hang. */
  async request<T>(pattern: string, payload: unknown, owner: string): Promise<T> {
    try {
      return await firstValueFrom(this.client.send<T>(pattern, payload).pipe(timeout(RPC_TIMEOUT_MS)));
    } catch (err) {
      const timedOut = err instanceof Error && err.name === 'TimeoutError';
      throw new ProblemException({
        status: timedOut ? 504 : 503,
        title: timedOut ? 'Gateway Timeout' : 'Service Unavailable',
        detail: timedOut ? `the ${owner} service did not answer in time` : `the ${owner} service is not available`,
      });
    }
  }
}
