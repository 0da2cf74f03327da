import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import { createDatabase, migrateToLatest } from '@vigil/db';
import { connectNats, ensureStreams } from '@vigil/messaging';
import type { BaseConfig } from './config';
import { CONFIG, DATABASE, LOGGER, NATS, SERVICE_OPTIONS } from './tokens';
import { ServiceRuntime, type ServiceOptions } from './runtime';
import { HealthController } from './health.controller';
import { Metrics, MetricsController } from './metrics';

/**
 * The runtime every Vigil service shares: config, JSON logger, its own database (migrated at start-up),
 * NATS with its streams declared, health and metrics endpoints, consumer and outbox lifecycle.
 */
@Global()
@Module({})
export class VigilCoreModule {
  static forRoot(opts: ServiceOptions, config: BaseConfig, log: Logger): DynamicModule {
    return {
      module: VigilCoreModule,
      controllers: [HealthController, MetricsController],
      providers: [
        { provide: SERVICE_OPTIONS, useValue: opts },
        { provide: CONFIG, useValue: config },
        { provide: LOGGER, useValue: log },
        {
          provide: DATABASE,
          useFactory: async () => {
            const database = createDatabase({ url: config.DATABASE_URL, schema: opts.schema, poolSize: config.DATABASE_POOL_SIZE, applicationName: `vigil-${opts.service}` });
            if (config.MIGRATE_ON_START) {
              const applied = await migrateToLatest(database.db, opts.schema, opts.migrations);
              if (applied.length) log.info({ applied }, 'migrations applied');
            }
            return database;
          },
        },
        {
          provide: NATS,
          useFactory: async () => {
            const nc = await connectNats(config.NATS_URL, `vigil-${opts.service}`);
            await ensureStreams(await nc.jetstreamManager(), opts.streams);
            return nc;
          },
        },
        Metrics,
        ServiceRuntime,
      ],
      exports: [SERVICE_OPTIONS, CONFIG, LOGGER, DATABASE, NATS, Metrics, ServiceRuntime],
    };
  }
}
