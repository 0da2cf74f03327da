import { streams } from '@vigil/contracts';
import { serviceModule } from '@vigil/platform';
import type { IncidentConfig } from './config';
import { migrations } from './db/migrations';
import { IncidentRepository } from './incidents/incident.repository';
import { IncidentHandlers } from './incidents/incident.handlers';
import { IncidentQueriesController } from './incidents/incident-queries.controller';
import { IncidentService } from './incidents/incident.service';
import { TimelineVerifier } from './timeline/timeline-verifier';
import { DeadlineMonitor, ObligationsController } from './obligations/obligations.controller';
import { ObligationsService } from './obligations/obligations.service';

export const incidentService = {
  service: 'incident',
  schema: 'incident',
  migrations,
  streams: [streams.detections, streams.incidents, streams.deadLetters],
  outbox: true,
} as const;

export const AppModule = serviceModule<IncidentConfig>(incidentService, {
  controllers: [IncidentQueriesController, ObligationsController],
  providers: [IncidentRepository, IncidentService, IncidentHandlers, TimelineVerifier, ObligationsService, DeadlineMonitor],
});
