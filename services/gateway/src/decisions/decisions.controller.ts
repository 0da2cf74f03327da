import { Body, Controller, Get, HttpCode, Param, Post, Put, Query, Req, UseGuards, UseInterceptors } from '@nestjs/common';
import {
  decisionCheckParamsV1,
  decisionCheckQueryV1,
  decisionGetQueryV1,
  decisionListParamsV1,
  decisionListQueryV1,
  decisionPolicyGetQueryV1,
  decisionPolicyPutQueryV1,
  decisionPolicySchema,
  decisionRevokeQueryV1,
  decisionRevokeRequestV1,
  zodErrors,
  type DecisionCheckV1,
  type DecisionPageV1,
  type DecisionPolicyViewV1,
  type DecisionV1,
} from '@vigil/contracts';
import { ProblemException } from '@vigil/platform';
import type { z } from 'zod';
import { ApiKeyGuard, RequireScope, type AuthenticatedRequest } from '../auth/api-key.guard';
import { AuditInterceptor } from '../audit/audit.interceptor';
import { RpcClient } from '../rpc.client';
import { checkedId } from './checked-id';

function parsed<S extends z.ZodType>(schema: S, input: unknown, detail: string, prefix = ''): z.infer<S> {
  const r = schema.safeParse(input ?? {});
  if (!r.success) throw new ProblemException({ status: 400, title: 'Bad Request', detail, errors: zodErrors(r.error, prefix) });
  return r.data;
}

const notFound = (id: string) => new ProblemException({ status: 404, title: 'Not Found', detail: `no decision ${id} in this organisation` });

/**
 * Response decisions for a platform's login service (scope `decisions:read`): poll the change feed,
 * or ask about one login attempt. Revoking and the policy need `admin`. Detection owns the data; every
 * answer comes over request/reply with the caller's org, so another org's decision is a 404.
 */
@Controller('v1/decisions')
@UseGuards(ApiKeyGuard)
export class DecisionsController {
  constructor(private readonly rpc: RpcClient) {}

  /** Change feed: decisions created or revoked after `since`, oldest change first. */
  @Get()
  @RequireScope('decisions:read')
  @UseInterceptors(AuditInterceptor)
  async list(@Req() req: AuthenticatedRequest, @Query() query: unknown): Promise<DecisionPageV1> {
    const p = parsed(decisionListParamsV1, query, 'invalid query parameters');
    const { items, lastSeq } = await this.rpc.query(
      decisionListQueryV1,
      {
        orgId: req.principal.orgId,
        after: p.since !== undefined ? Number(p.since) : 0,
        limit: p.limit,
        ...(p.active !== undefined ? { active: p.active } : {}),
        ...(p.kind !== undefined ? { kind: p.kind } : {}),
        ...(p.target !== undefined ? { target: p.target } : {}),
      },
      'detection',
    );
    return { items, nextCursor: String(lastSeq) };
  }

  /**
   * The login hot path: is this IP or account blocked now? Not audited (it would add a write to every
   * login); what it reveals is what the list already shows the same key.
   */
  @Get('check')
  @RequireScope('decisions:read')
  async check(@Req() req: AuthenticatedRequest, @Query() query: unknown): Promise<DecisionCheckV1> {
    const p = parsed(decisionCheckParamsV1, query, 'invalid query parameters');
    return this.rpc.query(decisionCheckQueryV1, { orgId: req.principal.orgId, ...p }, 'detection');
  }

  @Get('policy')
  @RequireScope('admin')
  @UseInterceptors(AuditInterceptor)
  async policy(@Req() req: AuthenticatedRequest): Promise<DecisionPolicyViewV1> {
    return this.rpc.query(decisionPolicyGetQueryV1, { orgId: req.principal.orgId }, 'detection');
  }

  /** Replaces the org's overrides (rules not named keep the defaults; `[]` turns a rule's decisions off). */
  @Put('policy')
  @RequireScope('admin')
  @UseInterceptors(AuditInterceptor)
  async putPolicy(@Req() req: AuthenticatedRequest, @Body() body: unknown): Promise<DecisionPolicyViewV1> {
    const policy = parsed(decisionPolicySchema, body, 'invalid decision policy');
    return this.rpc.query(decisionPolicyPutQueryV1, { orgId: req.principal.orgId, policy }, 'detection');
  }

  @Get(':id')
  @RequireScope('decisions:read')
  @UseInterceptors(AuditInterceptor)
  async get(@Req() req: AuthenticatedRequest, @Param('id') id: string): Promise<DecisionV1> {
    const { decision } = await this.rpc.query(decisionGetQueryV1, { orgId: req.principal.orgId, id: checkedId(id, 'decision') }, 'detection');
    if (!decision) throw notFound(id);
    return decision;
  }

  /** Withdraws a decision now; 409 when it was already revoked. Emits decision.revoked once. */
  @Post(':id/revoke')
  @HttpCode(200)
  @RequireScope('admin')
  @UseInterceptors(AuditInterceptor)
  async revoke(@Req() req: AuthenticatedRequest, @Param('id') id: string, @Body() body: unknown): Promise<DecisionV1> {
    const decisionId = checkedId(id, 'decision');
    const { reason } = parsed(decisionRevokeRequestV1, body, 'invalid revoke request');
    const r = await this.rpc.query(decisionRevokeQueryV1, { orgId: req.principal.orgId, id: decisionId, reason, by: req.principal.apiKeyId }, 'detection');
    if (r.outcome === 'not-found' || !r.decision) throw notFound(id);
    if (r.outcome === 'already-revoked') throw new ProblemException({ status: 409, title: 'Conflict', detail: `decision ${id} was already revoked at ${r.decision.revokedAt}` });
    return r.decision;
  }
}
