import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { Transaction } from 'kysely';
import { incidentCreatedV1, streams } from '@vigil/contracts';
import type { ReportingDatabase } from '../db/schema';
import { ServiceRuntime } from '@vigil/platform';
import { IncidentRecordRepository } from './incident-record.repository';

/** Keeps reporting's read model of incidents, from incident events only (no access to incident's tables). */
@Injectable()
export class IncidentRecordsHandlers implements OnModuleInit {
  constructor(
    private readonly runtime: ServiceRuntime,
    private readonly repo: IncidentRecordRepository,
  ) {}

  onModuleInit(): void {
    this.runtime.consumeEvents({
      durable: 'reporting-incident-created',
      stream: streams.incidents,
      definition: incidentCreatedV1,
      handle: async (e, tx: Transaction<ReportingDatabase>) => {
        const d = e.data;
        await this.repo.upsert(tx, {
          incident_id: d.incidentId,
          org_id: e.orgid,
          number: d.number,
          title: d.title,
          category: d.category,
          severity: d.severity,
          status: d.status,
          detected_at: new Date(d.detectedAt),
          opened_at: new Date(d.createdAt),
        });
      },
    });
  }
}
