import { streams } from '@vigil/contracts';
import { serviceModule } from '@vigil/platform';
import { migrations } from './db/migrations';
import { DetectionRepository } from './rules/detection.repository';
import { BruteForceHandlers } from './rules/brute-force.handlers';

export const detectionService = {
  service: 'detection',
  schema: 'detection',
  migrations,
  streams: [streams.security, streams.detections, streams.deadLetters],
  outbox: true,
} as const;

export const AppModule = serviceModule(detectionService, { providers: [DetectionRepository, BruteForceHandlers] });
