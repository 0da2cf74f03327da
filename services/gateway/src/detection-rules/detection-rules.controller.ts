import { Body, Controller, Get, Param, Put, Req, UseGuards, UseInterceptors } from '@nestjs/common';
import { detectionRuleGetQueryV1, detectionRulesListQueryV1, detectionRuleUpdateCommandV1, type DetectionRuleViewV1 } from '@vigil/contracts';
import { ProblemException } from '@vigil/platform';
import { ApiKeyGuard, RequireScope, type AuthenticatedRequest } from '../auth/api-key.guard';
import { AuditInterceptor } from '../audit/audit.interceptor';
import { RpcClient } from '../rpc.client';

const ruleIdPattern = /^[a-z][a-z0-9_]*\.[a-z0-9_]+$/;

/**
 * The org's detection rules and their settings. Detection owns both (and validates settings against
 * each rule's schema); the gateway authorises, audits and relays. A change applies to the next event
 * detection evaluates, without a restart.
 */
@Controller('v1/detection/rules')
@UseGuards(ApiKeyGuard)
@UseInterceptors(AuditInterceptor)
export class DetectionRulesController {
  constructor(private readonly rpc: RpcClient) {}

  @Get()
  @RequireScope('admin')
  async list(@Req() req: AuthenticatedRequest): Promise<{ rules: DetectionRuleViewV1[] }> {
    return this.rpc.query(detectionRulesListQueryV1, { orgId: req.principal.orgId }, 'detection');
  }

  @Get(':id')
  @RequireScope('admin')
  async get(@Req() req: AuthenticatedRequest, @Param('id') id: string): Promise<DetectionRuleViewV1> {
    const { rule } = await this.rpc.query(detectionRuleGetQueryV1, { orgId: req.principal.orgId, ruleId: checkedRuleId(id) }, 'detection');
    if (!rule) throw notFound(id);
    return rule;
  }

  /** Replaces the org's settings of the rule: fields left out take the rule's defaults. */
  @Put(':id')
  @RequireScope('admin')
  async put(@Req() req: AuthenticatedRequest, @Param('id') id: string, @Body() body: unknown): Promise<DetectionRuleViewV1> {
    const ruleId = checkedRuleId(id);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new ProblemException({ status: 400, title: 'Bad Request', detail: 'the body is a JSON object of rule settings', errors: [{ pointer: '/', message: 'expected an object' }] });
    }
    const actor = `api-key:${req.principal.apiKeyId}`;
    // Settings that break the rule's schema come back as a 400 naming each field (RpcClient).
    const { rule } = await this.rpc.query(detectionRuleUpdateCommandV1, { orgId: req.principal.orgId, ruleId, settings: body as Record<string, unknown>, actor }, 'detection');
    if (!rule) throw notFound(id);
    return rule;
  }
}

function checkedRuleId(id: string): string {
  if (!ruleIdPattern.test(id) || id.length > 64) {
    throw new ProblemException({ status: 400, title: 'Bad Request', detail: 'a rule id looks like brute_force.ip', errors: [{ pointer: '/id', message: 'not a rule id' }] });
  }
  return id;
}

const notFound = (id: string) => new ProblemException({ status: 404, title: 'Not Found', detail: `no detection rule ${id}` });
