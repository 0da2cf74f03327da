import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { breachSummaryQueryV1, type QueryReply } from '@vigil/contracts';
import { IncidentRecordRepository } from './incident-record.repository';
import { buildBreachSummary, twelveMonthWindow } from './breach-summary';

/** Request/reply report queries for the gateway (core NATS, queue group `reporting`). */
@Controller()
export class ReportsController {
  constructor(private readonly repo: IncidentRecordRepository) {}

  @MessagePattern(breachSummaryQueryV1.subject)
  async breachSummary(@Payload() payload: unknown): Promise<QueryReply<typeof breachSummaryQueryV1>> {
    const req = breachSummaryQueryV1.request.safeParse(payload);
    if (!req.success) return { error: 'bad-request', detail: req.error.issues.map((i) => i.message).join('; ') };
    const now = new Date();
    const { from, to } = twelveMonthWindow(now);
    const incidents = await this.repo.openedBetween(req.data.orgId, from, to);
    // Checked against the contract here, where a drift is a bug of this service, not of the gateway.
    return breachSummaryQueryV1.reply.parse({ report: buildBreachSummary(now, incidents) });
  }
}
