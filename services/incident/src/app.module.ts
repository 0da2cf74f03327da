import { streams } from '@vigil/contracts';
import { serviceModule } from '@vigil/platform';
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

export const AppModule = serviceModule(incidentService, { controllers: [IncidentQueriesController], providers: [IncidentRepository, IncidentHandlers] });
