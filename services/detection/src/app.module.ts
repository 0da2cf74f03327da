import { Module, type DynamicModule } from '@nestjs/common';
import type { Logger } from 'pino';
import { streams } from '@vigil/contracts';
import { VigilCoreModule, type BaseConfig } from '@vigil/platform';
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

@Module({})
export class AppModule {
  static forRoot(config: BaseConfig, log: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [VigilCoreModule.forRoot(detectionService, config, log)],
      providers: [DetectionRepository, BruteForceHandlers],
    };
  }
}
