import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { ingestVerifyChainQueryV1, type QueryReply } from '@vigil/contracts';
import { RawEventRepository } from './raw-event.repository';

type Reply = QueryReply<typeof ingestVerifyChainQueryV1>;

/** Request/reply queries for the gateway's API and CLI (core NATS, queue group `ingest`). */
@Controller()
export class VerifyChainController {
  constructor(private readonly repo: RawEventRepository) {}

  @MessagePattern(ingestVerifyChainQueryV1.subject)
  async verify(@Payload() payload: unknown): Promise<Reply> {
    const req = ingestVerifyChainQueryV1.request.safeParse(payload);
    if (!req.success) return { error: 'bad-request', detail: req.error.issues.map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ') };
    // Checked against the contract here, where a drift is a bug of this service, not of the gateway.
    return ingestVerifyChainQueryV1.reply.parse({ verification: await this.repo.verifyChain(req.data.orgId.toLowerCase()) });
  }
}
