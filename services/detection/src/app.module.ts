import { streams } from '@vigil/contracts';
import { serviceModule } from '@vigil/platform';
import { migrations } from './db/migrations';
import { DetectionEngine } from './engine/engine';
import { DetectionHandlers } from './engine/detection.handlers';
import { RuleRegistry } from './engine/registry';
import { StateRepository } from './engine/state.repository';
import { rules } from './rules';
import { RuleSettingsService } from './settings/rule-settings.service';
import { RulesController } from './settings/rules.controller';

export const detectionService = {
  service: 'detection',
  schema: 'detection',
  migrations,
  streams: [streams.security, streams.detections, streams.deadLetters],
  outbox: true,
} as const;

export const AppModule = serviceModule(detectionService, {
  controllers: [RulesController],
  providers: [{ provide: RuleRegistry, useValue: new RuleRegistry(rules) }, StateRepository, RuleSettingsService, DetectionEngine, DetectionHandlers],
});
