import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import { streams } from '@vigil/contracts';
import { VigilCoreModule, type BaseConfig } from '@vigil/platform';
import { migrations } from './db/migrations';
import { RawEventRepository } from './store/raw-event.repository';
import { IngestHandlers } from './store/ingest.handlers';

export const ingestService = {
  service: 'ingest',
  schema: 'ingest',
  migrations,
  streams: [streams.ingest, streams.security, streams.deadLetters],
  outbox: true,
} as const;

@Module({})
export class AppModule {
  static forRoot(config: BaseConfig, log: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [VigilCoreModule.forRoot(ingestService, config, log)],
      providers: [RawEventRepository, IngestHandlers],
    };
  }
}
