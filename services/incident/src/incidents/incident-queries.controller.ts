import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { incidentGetQueryV1, type QueryReply } from '@vigil/contracts';
import { IncidentRepository } from './incident.repository';

type Reply = QueryReply<typeof incidentGetQueryV1>;

/** Request/reply queries for the gateway (core NATS, queue group `incident`). */
@Controller()
export class IncidentQueriesController {
  constructor(private readonly repo: IncidentRepository) {}

  @MessagePattern(incidentGetQueryV1.subject)
  async get(@Payload() payload: unknown): Promise<Reply> {
    const req = incidentGetQueryV1.request.safeParse(payload);
    if (!req.success) return { error: 'bad-request', detail: req.error.issues.map((i) => i.message).join('; ') };
    const found = await this.repo.findForOrg(req.data.orgId, req.data.ref);
    if (!found) return { incident: null };
    const { incident: i, timeline, detectionCount } = found;
    // Checked against the contract here, where a drift is a bug of this service, not of the gateway.
    return incidentGetQueryV1.reply.parse({
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
    });
  }
}
