import { streams } from '@vigil/contracts';
import { serviceModule } from '@vigil/platform';
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

export const AppModule = serviceModule(reportingService, { controllers: [ReportsController], providers: [IncidentRecordRepository, IncidentRecordsHandlers] });
