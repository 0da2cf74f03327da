import { Module, type DynamicModule, type Provider, type Type } from '@nestjs/common';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { baseEnvSchema, loadConfig, type BaseConfig } from './config';
import { createLogger } from './logger';
import { VigilCoreModule } from './core.module';
import { bootstrapService, runMain, type BootstrapOptions } from './bootstrap';
import type { ServiceOptions } from './runtime';

export type ServiceModuleFactory<C extends BaseConfig = BaseConfig> = (config: C, log: Logger) => DynamicModule;

/**
 * A service's root module: the shared runtime (config, database, NATS, health, consumers, outbox) plus
 * the service's own controllers and providers. Config-dependent providers inject the CONFIG token.
 */
export function serviceModule<C extends BaseConfig = BaseConfig>(
  descriptor: ServiceOptions,
  parts: { controllers?: Type[]; providers?: Provider[] },
): ServiceModuleFactory<C> {
  @Module({})
  class ServiceAppModule {}
  Object.defineProperty(ServiceAppModule, 'name', { value: `${descriptor.service[0]!.toUpperCase()}${descriptor.service.slice(1)}Module` });
  return (config, log) => ({
    module: ServiceAppModule,
    imports: [VigilCoreModule.forRoot(descriptor, config, log)],
    controllers: parts.controllers ?? [],
    providers: parts.providers ?? [],
  });
}

/** The base environment with a service's default port. */
export function envWithDefaultPort(port: number) {
  return baseEnvSchema.extend({ PORT: baseEnvSchema.shape.PORT.default(port) });
}

/** A service's whole main.ts: validate the environment, log JSON, start the app. */
export function runService<S extends z.ZodType<BaseConfig>>(opts: {
  service: string;
  envSchema: S;
  module: ServiceModuleFactory<z.infer<S>>;
  bootstrap?: (config: z.infer<S>) => Omit<BootstrapOptions, 'config' | 'log'>;
}): void {
  runMain(async () => {
    const config = loadConfig(opts.envSchema, process.env, opts.service);
    const log = createLogger(opts.service, config.LOG_LEVEL);
    await bootstrapService(opts.module(config, log), { config, log, ...opts.bootstrap?.(config) });
  });
}
