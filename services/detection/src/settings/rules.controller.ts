import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { detectionRuleGetQueryV1, detectionRulesListQueryV1, detectionRuleUpdateCommandV1, type QueryReply } from '@vigil/contracts';
import { RuleRegistry } from '../engine/registry';
import { RuleSettingsService } from './rule-settings.service';

const badRequest = (issues: { message: string }[]) => ({ error: 'bad-request' as const, detail: issues.map((i) => i.message).join('; ') });

/** Rule settings for the gateway (core NATS request/reply, queue group `detection`). */
@Controller()
export class RulesController {
  constructor(
    private readonly registry: RuleRegistry,
    private readonly settings: RuleSettingsService,
  ) {}

  @MessagePattern(detectionRulesListQueryV1.subject)
  async list(@Payload() payload: unknown): Promise<QueryReply<typeof detectionRulesListQueryV1>> {
    const req = detectionRulesListQueryV1.request.safeParse(payload);
    if (!req.success) return badRequest(req.error.issues);
    const rules = [];
    for (const rule of this.registry.rules) rules.push(await this.settings.view(req.data.orgId, rule));
    return detectionRulesListQueryV1.reply.parse({ rules });
  }

  @MessagePattern(detectionRuleGetQueryV1.subject)
  async get(@Payload() payload: unknown): Promise<QueryReply<typeof detectionRuleGetQueryV1>> {
    const req = detectionRuleGetQueryV1.request.safeParse(payload);
    if (!req.success) return badRequest(req.error.issues);
    const rule = this.registry.get(req.data.ruleId);
    return detectionRuleGetQueryV1.reply.parse({ rule: rule ? await this.settings.view(req.data.orgId, rule) : null });
  }

  @MessagePattern(detectionRuleUpdateCommandV1.subject)
  async update(@Payload() payload: unknown): Promise<QueryReply<typeof detectionRuleUpdateCommandV1>> {
    const req = detectionRuleUpdateCommandV1.request.safeParse(payload);
    if (!req.success) return badRequest(req.error.issues);
    const { orgId, ruleId, settings, actor } = req.data;
    const rule = this.registry.get(ruleId);
    if (!rule) return { rule: null };
    const result = await this.settings.update(orgId, rule, settings, actor);
    if (!result.ok) return { error: 'invalid-settings', detail: `settings do not fit rule ${ruleId}`, errors: result.errors };
    return detectionRuleUpdateCommandV1.reply.parse({ rule: await this.settings.view(orgId, rule) });
  }
}
