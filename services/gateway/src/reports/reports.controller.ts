import { Controller, Get, Req, UseGuards, UseInterceptors } from '@nestjs/common';
import { rpc } from '@vigil/contracts';
import { ProblemException } from '@vigil/platform';
import { ApiKeyGuard, RequireScope, type AuthenticatedRequest } from '../auth/api-key.guard';
import { AuditInterceptor } from '../audit/audit.interceptor';
import { RpcClient } from '../rpc.client';

@Controller('v1/reports')
@UseGuards(ApiKeyGuard)
@UseInterceptors(AuditInterceptor)
export class ReportsController {
  constructor(private readonly rpc: RpcClient) {}

  /** Breach register summary over the last 12 calendar months. */
  @Get('breach-summary')
  @RequireScope('reports:read')
  async breachSummary(@Req() req: AuthenticatedRequest) {
    const res = await this.rpc.request<{ report: unknown } | { error: string; detail: string }>(rpc.reportBreachSummary, { orgId: req.principal.orgId }, 'reporting');
    if ('error' in res) throw new ProblemException({ status: 400, title: 'Bad Request', detail: res.detail });
    return res.report;
  }
}
