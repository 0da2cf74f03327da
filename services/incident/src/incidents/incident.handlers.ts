import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Transaction } from 'kysely';
import type { Logger } from 'pino';
import {
  createEvent,
  deriveId,
  detectionTriggeredV1,
  incidentCreatedV1,
  streams,
  type DetectionTriggeredV1,
  type VigilEvent,
} from '@vigil/contracts';
import { enqueueEvents } from '@vigil/messaging';
import { LOGGER, ServiceRuntime } from '@vigil/platform';
import type { IncidentDatabase } from '../db/schema';
import { IncidentRepository } from './incident.repository';

const SOURCE = 'vigil://incident';

/** Category of an incident opened by a detection rule, from the rule family (`brute_force.ip` -> `brute_force`). */
function categoryOf(ruleId: string): string {
  return ruleId.split('.')[0] ?? ruleId;
}

@Injectable()
export class IncidentHandlers implements OnModuleInit {
  constructor(
    private readonly runtime: ServiceRuntime,
    private readonly repo: IncidentRepository,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onModuleInit(): void {
    this.runtime.consumeEvents({ durable: 'incident-detection-triggered', stream: streams.detections, definition: detectionTriggeredV1, handle: (e, tx: Transaction<IncidentDatabase>) => this.onDetection(e, tx) });
  }

  /**
   * Opens one incident per attack: a detection whose correlation key matches an open incident is
   * folded into it (timeline entry), otherwise a new numbered incident is created and announced.
   */
  async onDetection(event: VigilEvent<'detection.triggered', DetectionTriggeredV1>, tx: Transaction<IncidentDatabase>): Promise<void> {
    const d = event.data;
    const orgId = event.orgid;
    const now = new Date();
    await this.repo.lockCorrelation(tx, orgId, d.correlationKey);

    const open = await this.repo.findOpenByCorrelation(tx, orgId, d.correlationKey);
    if (open) {
      if (await this.repo.linkDetection(tx, orgId, d.detectionId, open.id)) {
        await this.repo.addTimeline(tx, { incident_id: open.id, org_id: orgId, at: now, kind: 'detection.correlated', detail: { detectionId: d.detectionId, ruleId: d.ruleId, count: d.count } });
      }
      this.log.info({ orgId, incident: open.number, detectionId: d.detectionId }, 'detection folded into open incident');
      return;
    }

    const incidentId = deriveId('incident', orgId, d.detectionId);
    const number = await this.repo.nextNumber(tx, orgId, now);
    const origin = { detectionId: d.detectionId, ruleId: d.ruleId, ...(d.evidence.ip ? { ip: d.evidence.ip } : {}), eventCount: d.count };
    const incident = {
      id: incidentId,
      org_id: orgId,
      number,
      title: d.title,
      description: d.summary,
      category: categoryOf(d.ruleId),
      severity: d.severity,
      status: 'investigating' as const,
      correlation_key: d.correlationKey,
      detected_at: new Date(d.windowEnd),
      created_at: now,
      origin,
    };
    await this.repo.insert(tx, incident);
    await this.repo.linkDetection(tx, orgId, d.detectionId, incidentId);
    await this.repo.addTimeline(tx, { incident_id: incidentId, org_id: orgId, at: now, kind: 'incident.created', detail: { status: 'investigating', detectionId: d.detectionId } });
    await enqueueEvents(tx, [
      createEvent(incidentCreatedV1, {
        id: deriveId('incident.created', incidentId),
        orgid: orgId,
        source: SOURCE,
        subject: number,
        time: now,
        data: {
          incidentId,
          number,
          title: incident.title,
          description: incident.description,
          category: incident.category,
          severity: incident.severity,
          status: incident.status,
          correlationKey: d.correlationKey,
          detectedAt: incident.detected_at.toISOString(),
          createdAt: now.toISOString(),
          origin,
        },
      }),
    ]);
    this.log.info({ orgId, incident: number, detectionId: d.detectionId }, 'incident created');
  }
}
