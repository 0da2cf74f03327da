import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { Transaction } from 'kysely';
import { detectionTriggeredV1, streams } from '@vigil/contracts';
import { ServiceRuntime } from '@vigil/platform';
import { DecisionService } from './decision.service';
import type { ResponseDatabase } from './tables';

export const DECISIONS_DURABLE = 'detection-decisions';

/** Detection reads its own detections back (durable consumer + inbox) and decides on each exactly once. */
@Injectable()
export class DecisionHandlers implements OnModuleInit {
  constructor(
    private readonly runtime: ServiceRuntime,
    private readonly decisions: DecisionService,
  ) {}

  onModuleInit(): void {
    this.runtime.consumeEvents({
      durable: DECISIONS_DURABLE,
      stream: streams.detections,
      definition: detectionTriggeredV1,
      handle: async (e, tx: Transaction<ResponseDatabase>) => {
        await this.decisions.decide(e, tx);
      },
    });
  }
}
