import { Body, Controller, Get, Put, Req, UseGuards, UseInterceptors } from '@nestjs/common';
import { drillRecipientsGetQueryV1, drillRecipientsPutCommandV1, drillRecipientsV1, type DrillRecipientsV1 } from '@vigil/contracts';
import { ApiKeyGuard, RequireScope, type AuthenticatedRequest } from '../auth/api-key.guard';
import { AuditInterceptor } from '../audit/audit.interceptor';
import { RpcClient } from '../rpc.client';
import { checkedBody } from '../incidents/incidents.controller';

/** Who a drill's notices go to instead of the admins (answered by the notification service). */
@Controller('v1/drill-recipients')
@UseGuards(ApiKeyGuard)
@UseInterceptors(AuditInterceptor)
export class DrillRecipientsController {
  constructor(private readonly rpc: RpcClient) {}

  @Get()
  @RequireScope('incidents:read')
  get(@Req() req: AuthenticatedRequest): Promise<DrillRecipientsV1> {
    return this.rpc.query(drillRecipientsGetQueryV1, { orgId: req.principal.orgId }, 'notification');
  }

  @Put()
  @RequireScope('admin')
  put(@Req() req: AuthenticatedRequest, @Body() body: unknown): Promise<DrillRecipientsV1> {
    return this.rpc.query(drillRecipientsPutCommandV1, { orgId: req.principal.orgId, body: checkedBody(drillRecipientsV1, body) }, 'notification');
  }
}
