import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { Transaction } from 'kysely';
import {
  incidentAffectedPeopleAddedV1,
  incidentCreatedV1,
  incidentDetectionMergedV1,
  incidentStatusChangedV1,
  incidentUpdatedV1,
  streams,
  type IncidentSnapshot,
} from '@vigil/contracts';
import type { ReportingDatabase } from '../db/schema';
import { ServiceRuntime } from '@vigil/platform';
import { IncidentRecordRepository } from './incident-record.repository';

/**
 * The changes that can move what the register shows (status, severity, title, category). Notes,
 * assignments and task updates carry a snapshot too, but never change these fields, and since the
 * newest seq wins, skipping them loses nothing.
 */
const RECORDED_CHANGES = [incidentStatusChangedV1, incidentUpdatedV1, incidentAffectedPeopleAddedV1, incidentDetectionMergedV1] as const;

/** Durable of each incident change event, e.g. `reporting-incident-status-changed`. */
export const changeDurable = (type: string) => `reporting-${type.replace(/[._]/g, '-')}`;

/**
 * Keeps reporting's read model of incidents from incident events only (no access to incident's
 * tables): the creation, then every change's snapshot, the newest (by timeline seq) winning.
 */
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
          // The creation is the incident's first timeline entry.
          seq: 1,
          drill: d.drill ?? false,
        });
      },
    });
    for (const definition of RECORDED_CHANGES) {
      this.runtime.consumeEvents({
        durable: changeDurable(definition.type),
        stream: streams.incidents,
        definition,
        handle: async (e, tx: Transaction<ReportingDatabase>) => {
          const { incidentId, snapshot } = e.data as { incidentId: string; snapshot: IncidentSnapshot };
          await this.repo.upsert(tx, {
            incident_id: incidentId,
            org_id: e.orgid,
            number: snapshot.number,
            title: snapshot.title,
            category: snapshot.category,
            severity: snapshot.severity,
            status: snapshot.status,
            detected_at: new Date(snapshot.detectedAt),
            opened_at: new Date(snapshot.createdAt),
            seq: snapshot.seq,
            drill: snapshot.drill,
          });
        },
      });
    }
  }
}
