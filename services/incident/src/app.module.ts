import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import { streams } from '@vigil/contracts';
import { VigilCoreModule, type BaseConfig } from '@vigil/platform';
import { migrations } from './db/migrations';
import { IncidentRepository } from './incidents/incident.repository';
import { IncidentHandlers } from './incidents/incident.handlers';
import { IncidentQueriesController } from './incidents/incident-queries.controller';

export const incidentService = {
  service: 'incident',
  schema: 'incident',
  migrations,
  streams: [streams.detections, streams.incidents, streams.deadLetters],
  outbox: true,
} as const;

@Module({})
export class AppModule {
  static forRoot(config: BaseConfig, log: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [VigilCoreModule.forRoot(incidentService, config, log)],
      controllers: [IncidentQueriesController],
      providers: [IncidentRepository, IncidentHandlers],
    };
  }
}
