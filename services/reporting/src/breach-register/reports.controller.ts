import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { z } from 'zod';
import { rpc } from '@vigil/contracts';
import { IncidentRecordRepository } from './incident-record.repository';
import { buildBreachSummary, twelveMonthWindow } from './breach-summary';

const breachSummaryRequest = z.object({ orgId: z.uuid() });

/** Request/reply report queries for the gateway (core NATS, queue group `reporting`). */
@Controller()
export class ReportsController {
  constructor(private readonly repo: IncidentRecordRepository) {}

  @MessagePattern(rpc.reportBreachSummary)
  async breachSummary(@Payload() payload: unknown) {
    const req = breachSummaryRequest.safeParse(payload);
    if (!req.success) return { error: 'bad-request', detail: req.error.issues.map((i) => i.message).join('; ') };
    const now = new Date();
    const { from, to } = twelveMonthWindow(now);
    const incidents = await this.repo.openedBetween(req.data.orgId, from, to);
    return { report: buildBreachSummary(now, incidents) };
  }
}
