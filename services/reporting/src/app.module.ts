import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import { streams } from '@vigil/contracts';
import { VigilCoreModule, type BaseConfig } from '@vigil/platform';
import { migrations } from './db/migrations';
import { IncidentRecordRepository } from './breach-register/incident-record.repository';
import { IncidentRecordsHandlers } from './breach-register/incident-records.handlers';
import { ReportsController } from './breach-register/reports.controller';

export const reportingService = {
  service: 'reporting',
  schema: 'reporting',
  migrations,
  streams: [streams.incidents, streams.deadLetters],
  outbox: false,
} as const;

@Module({})
export class AppModule {
  static forRoot(config: BaseConfig, log: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [VigilCoreModule.forRoot(reportingService, config, log)],
      controllers: [ReportsController],
      providers: [IncidentRecordRepository, IncidentRecordsHandlers],
    };
  }
}
