import { streams } from '@vigil/contracts';
import { serviceModule } from '@vigil/platform';
import { migrations } from './db/migrations';
import { DecisionRepository } from './decisions/decision.repository';
import { DecisionService } from './decisions/decision.service';
import { DecisionHandlers } from './decisions/decision.handlers';
import { DecisionQueriesController } from './decisions/decision-queries.controller';
import { WatchlistRepository } from './breach-feed/watchlist.repository';
import { WatchlistQueriesController } from './breach-feed/watchlist-queries.controller';
import { BreachFeedService } from './breach-feed/breach-feed.service';
import { DetectionEngine } from './engine/engine';
import { DetectionHandlers } from './engine/detection.handlers';
import { DetectionPartition } from './partition/detection-partition';
import { RuleRegistry } from './engine/registry';
import { StateRepository } from './engine/state.repository';
import { rules } from './rules';
import { RuleSettingsService } from './settings/rule-settings.service';
import { RulesController } from './settings/rules.controller';

export const detectionService = {
  service: 'detection',
  schema: 'detection',
  migrations,
  streams: [streams.security, streams.detections, streams.decisions, streams.ingest, streams.deadLetters],
  outbox: true,
} as const;

export const AppModule = serviceModule(detectionService, {
  controllers: [RulesController, DecisionQueriesController, WatchlistQueriesController],
  providers: [
    { provide: RuleRegistry, useValue: new RuleRegistry(rules) },
    StateRepository,
    DetectionPartition,
    RuleSettingsService,
    DetectionEngine,
    DetectionHandlers,
    DecisionRepository,
    DecisionService,
    DecisionHandlers,
    WatchlistRepository,
    BreachFeedService,
  ],
});
