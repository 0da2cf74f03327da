import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Transport, type MicroserviceOptions } from '@nestjs/microservices';
import type { Logger } from 'pino';
import type { BaseConfig } from './config';
import { PinoNestLogger } from './logger';
import { ProblemDetailsFilter } from './problem';
import { useStrictJsonBodies } from './json-body';
import { observeHttp } from './http-observability';
import { Metrics } from './metrics';

export interface BootstrapOptions {
  config: BaseConfig;
  log: Logger;
  /** Largest accepted HTTP body in bytes. */
  bodyLimit?: number;
  /** Serves core NATS request/reply handlers (@MessagePattern) in this queue group. */
  rpcQueue?: string;
  /** Extra media types parsed as JSON (e.g. application/cloudevents-batch+json). */
  jsonMediaTypes?: string[];
}

/** Creates, starts and returns a service's Nest app on Fastify, with graceful shutdown on SIGTERM/SIGINT. */
export async function bootstrapService(module: unknown, opts: BootstrapOptions): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: opts.bodyLimit ?? 1024 * 1024, logger: false });
  const app = await NestFactory.create<NestFastifyApplication>(module as never, adapter, {
    logger: new PinoNestLogger(opts.log),
    abortOnError: false,
    // Bodies are parsed by useStrictJsonBodies below.
    bodyParser: false,
  });
  app.useGlobalFilters(new ProblemDetailsFilter(opts.log));
  const fastify = app.getHttpAdapter().getInstance();
  useStrictJsonBodies(fastify, opts.jsonMediaTypes ?? []);
  observeHttp(fastify, { log: opts.log, metrics: app.get(Metrics) });
  app.enableShutdownHooks();
  if (opts.rpcQueue) {
    app.connectMicroservice<MicroserviceOptions>(
      { transport: Transport.NATS, options: { servers: opts.config.NATS_URL.split(','), queue: opts.rpcQueue, name: `${opts.rpcQueue}-rpc` } },
    );
    await app.startAllMicroservices();
  }
  await app.listen(opts.config.PORT, opts.config.HOST);
  const address = app.getHttpServer().address();
  opts.log.info({ address }, 'listening');
  return app;
}

/** main.ts body: start, or print why not and exit non-zero. */
export function runMain(start: () => Promise<unknown>): void {
  start().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.name === 'ConfigError' ? err.message : err.stack) : String(err)}\n`);
    process.exit(1);
  });
}
