import { Controller, Get, Req, UseGuards, UseInterceptors } from '@nestjs/common';
import { breachSummaryQueryV1, type BreachSummaryViewV1 } from '@vigil/contracts';
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
  async breachSummary(@Req() req: AuthenticatedRequest): Promise<BreachSummaryViewV1> {
    const { report } = await this.rpc.query(breachSummaryQueryV1, { orgId: req.principal.orgId }, 'reporting');
    return report;
  }
}
