import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  decisionCheckQueryV1,
  decisionGetQueryV1,
  decisionListQueryV1,
  decisionPolicyGetQueryV1,
  decisionPolicyPutQueryV1,
  decisionPolicySchema,
  decisionRevokeQueryV1,
  type QueryReply,
} from '@vigil/contracts';
import { DecisionRepository, toView } from './decision.repository';
import { DecisionService } from './decision.service';
import { DEFAULT_DECISION_POLICY, effectivePolicy } from './policy';
import { badRequest } from './bad-request';


/** The gateway's decision queries and commands (core NATS, queue group `detection`). */
@Controller()
export class DecisionQueriesController {
  constructor(
    private readonly repo: DecisionRepository,
    private readonly decisions: DecisionService,
  ) {}

  @MessagePattern(decisionListQueryV1.subject)
  async list(@Payload() payload: unknown): Promise<QueryReply<typeof decisionListQueryV1>> {
    const req = decisionListQueryV1.request.safeParse(payload);
    if (!req.success) return badRequest(req.error);
    const { orgId, after, limit, ...filter } = req.data;
    return decisionListQueryV1.reply.parse(await this.repo.list(orgId, after, limit, filter, new Date()));
  }

  @MessagePattern(decisionGetQueryV1.subject)
  async get(@Payload() payload: unknown): Promise<QueryReply<typeof decisionGetQueryV1>> {
    const req = decisionGetQueryV1.request.safeParse(payload);
    if (!req.success) return badRequest(req.error);
    const row = await this.repo.get(this.repo.db, req.data.orgId, req.data.id);
    return decisionGetQueryV1.reply.parse({ decision: row ? toView(row) : null });
  }

  @MessagePattern(decisionRevokeQueryV1.subject)
  async revoke(@Payload() payload: unknown): Promise<QueryReply<typeof decisionRevokeQueryV1>> {
    const req = decisionRevokeQueryV1.request.safeParse(payload);
    if (!req.success) return badRequest(req.error);
    return decisionRevokeQueryV1.reply.parse(await this.decisions.revoke(req.data));
  }

  @MessagePattern(decisionCheckQueryV1.subject)
  async check(@Payload() payload: unknown): Promise<QueryReply<typeof decisionCheckQueryV1>> {
    const req = decisionCheckQueryV1.request.safeParse(payload);
    if (!req.success) return badRequest(req.error);
    const { orgId, ...probe } = req.data;
    const decisions = await this.repo.inForce(orgId, probe, new Date());
    return decisionCheckQueryV1.reply.parse({ blocked: decisions.some((d) => d.kind === 'block_ip' || d.kind === 'lock_account'), decisions });
  }

  @MessagePattern(decisionPolicyGetQueryV1.subject)
  async getPolicy(@Payload() payload: unknown): Promise<QueryReply<typeof decisionPolicyGetQueryV1>> {
    const req = decisionPolicyGetQueryV1.request.safeParse(payload);
    if (!req.success) return badRequest(req.error);
    const overrides = await this.repo.policyOverrides(this.repo.db, req.data.orgId);
    return decisionPolicyGetQueryV1.reply.parse({ defaults: DEFAULT_DECISION_POLICY, overrides: overrides ?? null, effective: effectivePolicy(overrides) });
  }

  /** Validated here too: the policy schema is detection's, the gateway only relays pointers. */
  @MessagePattern(decisionPolicyPutQueryV1.subject)
  async putPolicy(@Payload() payload: unknown): Promise<QueryReply<typeof decisionPolicyPutQueryV1>> {
    const req = decisionPolicyPutQueryV1.request.safeParse(payload);
    if (!req.success) return badRequest(req.error);
    const policy = decisionPolicySchema.safeParse(req.data.policy);
    if (!policy.success) return badRequest(policy.error);
    await this.repo.putPolicy(req.data.orgId, policy.data);
    return decisionPolicyPutQueryV1.reply.parse({ defaults: DEFAULT_DECISION_POLICY, overrides: policy.data, effective: effectivePolicy(policy.data) });
  }
}
