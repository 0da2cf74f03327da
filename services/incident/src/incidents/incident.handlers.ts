import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { Transaction } from 'kysely';
import { detectionTriggeredV1, streams } from '@vigil/contracts';
import { ServiceRuntime } from '@vigil/platform';
import type { IncidentDatabase } from '../db/schema';
import { IncidentService } from './incident.service';

@Injectable()
export class IncidentHandlers implements OnModuleInit {
  constructor(
    private readonly runtime: ServiceRuntime,
    private readonly incidents: IncidentService,
  ) {}

  onModuleInit(): void {
    this.runtime.consumeEvents({
      durable: 'incident-detection-triggered',
      stream: streams.detections,
      definition: detectionTriggeredV1,
      handle: (e, tx: Transaction<IncidentDatabase>) => this.incidents.onDetection(tx, e.orgid, e.data),
    });
  }
}
