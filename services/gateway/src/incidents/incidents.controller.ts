import { Controller, Get, Param, Req, UseGuards, UseInterceptors } from '@nestjs/common';
import { incidentGetQueryV1, type IncidentViewV1 } from '@vigil/contracts';
import { ProblemException } from '@vigil/platform';
import { ApiKeyGuard, RequireScope, type AuthenticatedRequest } from '../auth/api-key.guard';
import { AuditInterceptor } from '../audit/audit.interceptor';
import { RpcClient } from '../rpc.client';

@Controller('v1/incidents')
@UseGuards(ApiKeyGuard)
@UseInterceptors(AuditInterceptor)
export class IncidentsController {
  constructor(private readonly rpc: RpcClient) {}

  /** One incident by id (UUID) or number (INC-YYYYMMDD-NNNN), with its timeline. */
  @Get(':ref')
  @RequireScope('incidents:read')
  async get(@Req() req: AuthenticatedRequest, @Param('ref') ref: string): Promise<IncidentViewV1> {
    if (!/^([0-9a-f-]{36}|INC-\d{8}-\d{4,})$/i.test(ref)) {
      throw new ProblemException({ status: 400, title: 'Bad Request', detail: 'incident reference must be a UUID or an incident number like INC-20261123-0001', errors: [{ pointer: '/ref', message: 'not a UUID or incident number' }] });
    }
    const { incident } = await this.rpc.query(incidentGetQueryV1, { orgId: req.principal.orgId, ref }, 'incident');
    if (!incident) throw new ProblemException({ status: 404, title: 'Not Found', detail: `no incident ${ref} in this organisation` });
    return incident;
  }
}
