import { streams } from '@vigil/contracts';
import { serviceModule } from '@vigil/platform';
import { migrations } from './db/migrations';
import { OrgRepository } from './auth/org.repository';
import { ApiKeyGuard } from './auth/api-key.guard';
import { ApiKeyCache } from './auth/api-key-cache';
import { RateLimiter } from './auth/rate-limiter';
import { ApiKeyRepository } from './api-keys/api-key.repository';
import { ApiKeyService } from './api-keys/api-key.service';
import { ApiKeysController } from './api-keys/api-keys.controller';
import { AuditInterceptor } from './audit/audit.interceptor';
import { RpcClient } from './rpc.client';
import { EventSubmissionService } from './events/event-submission.service';
import { EventsController } from './events/events.controller';
import { EventsVerifyController } from './events/verify.controller';
import { IncidentsController, PlaybookTemplateController } from './incidents/incidents.controller';
import { ObligationsController } from './obligations/obligations.controller';
import { DrillRecipientsController } from './notifications/drill-recipients.controller';
import { AffectedPeopleImporter, CsvBodies } from './incidents/affected-people-import';
import { DetectionRulesController } from './detection-rules/detection-rules.controller';
import { ReportsController } from './reports/reports.controller';
import { OpenApiController } from './openapi/openapi.controller';
import { DocsController } from './openapi/docs.controller';
import { DeadLetterRepository } from './dead-letters/dead-letter.repository';
import { DeadLetterReplayer, DeadLetterService } from './dead-letters/dead-letter.service';
import { DeadLetterHandlers } from './dead-letters/dead-letter.handlers';
import { DeadLettersController } from './dead-letters/dead-letters.controller';
import { DecisionsController } from './decisions/decisions.controller';
import { WatchlistController } from './decisions/watchlist.controller';
import { DecisionStreamController } from './decisions/decision-stream.controller';

export const gatewayService = {
  service: 'gateway',
  schema: 'gateway',
  migrations,
  streams: [streams.ingest, streams.orgs, streams.deadLetters],
  // org.created leaves through the outbox, so an org created by the CLI is announced once the gateway runs.
  outbox: true,
} as const;

export const AppModule = serviceModule(gatewayService, {
  controllers: [
    EventsController,
    EventsVerifyController,
    IncidentsController,
    DetectionRulesController,
    PlaybookTemplateController,
    ObligationsController,
    DrillRecipientsController,
    ReportsController,
    DeadLettersController,
    ApiKeysController,
    DecisionsController,
    DecisionStreamController,
    WatchlistController,
    OpenApiController,
    DocsController,
  ],
  providers: [
    OrgRepository,
    ApiKeyRepository,
    ApiKeyCache,
    { provide: RateLimiter, useFactory: () => new RateLimiter() },
    ApiKeyService,
    ApiKeyGuard,
    AuditInterceptor,
    RpcClient,
    EventSubmissionService,
    DeadLetterRepository,
    DeadLetterService,
    DeadLetterReplayer,
    DeadLetterHandlers,
    CsvBodies,
    AffectedPeopleImporter,
  ],
});
