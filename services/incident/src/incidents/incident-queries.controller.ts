import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { z } from 'zod';
import { rpc } from '@vigil/contracts';
import { IncidentRepository } from './incident.repository';

const getIncidentRequest = z.object({ orgId: z.uuid(), ref: z.string().min(1).max(64) });

/** Request/reply queries for the gateway (core NATS, queue group `incident`). */
@Controller()
export class IncidentQueriesController {
  constructor(private readonly repo: IncidentRepository) {}

  @MessagePattern(rpc.incidentGet)
  async get(@Payload() payload: unknown) {
    const req = getIncidentRequest.safeParse(payload);
    if (!req.success) return { error: 'bad-request', detail: req.error.issues.map((i) => i.message).join('; ') };
    const found = await this.repo.findForOrg(req.data.orgId, req.data.ref);
    if (!found) return { incident: null };
    const { incident: i, timeline, detectionCount } = found;
    return {
      incident: {
        id: i.id,
        number: i.number,
        title: i.title,
        description: i.description,
        category: i.category,
        severity: i.severity,
        status: i.status,
        correlationKey: i.correlation_key,
        detectedAt: i.detected_at.toISOString(),
        createdAt: i.created_at.toISOString(),
        updatedAt: i.updated_at.toISOString(),
        origin: i.origin,
        detectionCount,
        timeline: timeline.map((t) => ({ at: t.at.toISOString(), kind: t.kind, detail: t.detail })),
      },
    };
  }
}
