import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { drillRecipientsGetQueryV1, drillRecipientsPutCommandV1, type QueryReply } from '@vigil/contracts';
import { NotificationRepository } from './notification.repository';

/** The org's drill recipients over request/reply (queue group `notification`), for the gateway. */
@Controller()
export class DrillRecipientsController {
  constructor(private readonly repo: NotificationRepository) {}

  @MessagePattern(drillRecipientsGetQueryV1.subject)
  async get(@Payload() payload: unknown): Promise<QueryReply<typeof drillRecipientsGetQueryV1>> {
    const req = drillRecipientsGetQueryV1.request.safeParse(payload);
    if (!req.success) return { error: 'bad-request', detail: req.error.issues.map((i) => i.message).join('; ') };
    return { recipients: await this.repo.drillRecipients(req.data.orgId) };
  }

  @MessagePattern(drillRecipientsPutCommandV1.subject)
  async put(@Payload() payload: unknown): Promise<QueryReply<typeof drillRecipientsPutCommandV1>> {
    const req = drillRecipientsPutCommandV1.request.safeParse(payload);
    if (!req.success) return { error: 'bad-request', detail: req.error.issues.map((i) => i.message).join('; ') };
    const recipients = [...new Set(req.data.body.recipients.map((r) => r.trim().toLowerCase()))];
    // The org reaches notification through org.created; until it has, there is nothing to attach them to.
    if (!(await this.repo.setDrillRecipients(req.data.orgId, recipients))) return { error: 'conflict', detail: 'notification does not know this organisation yet; retry in a moment' };
    return { recipients };
  }
}
