import { streams } from '@vigil/contracts';
import { serviceModule } from '@vigil/platform';
import { migrations } from './db/migrations';
import { DetectionRepository } from './rules/detection.repository';
import { BruteForceHandlers } from './rules/brute-force.handlers';
import { DecisionRepository } from './decisions/decision.repository';
import { DecisionService } from './decisions/decision.service';
import { DecisionHandlers } from './decisions/decision.handlers';
import { DecisionQueriesController } from './decisions/decision-queries.controller';
import { WatchlistRepository } from './breach-feed/watchlist.repository';
import { WatchlistQueriesController } from './breach-feed/watchlist-queries.controller';
import { BreachFeedService } from './breach-feed/breach-feed.service';

export const detectionService = {
  service: 'detection',
  schema: 'detection',
  migrations,
  streams: [streams.security, streams.detections, streams.decisions, streams.ingest, streams.deadLetters],
  outbox: true,
} as const;

export const AppModule = serviceModule(detectionService, {
  controllers: [DecisionQueriesController, WatchlistQueriesController],
  providers: [DetectionRepository, BruteForceHandlers, DecisionRepository, DecisionService, DecisionHandlers, WatchlistRepository, BreachFeedService],
});
