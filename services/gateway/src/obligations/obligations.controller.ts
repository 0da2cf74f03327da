import { Body, Controller, Get, HttpCode, Param, Post, Put, Req, UseGuards, UseInterceptors } from '@nestjs/common';
import {
  complianceProfileBodyV1,
  complianceProfileGetQueryV1,
  complianceProfilePutCommandV1,
  incidentObligationsQueryV1,
  obligationReportCommandV1,
  obligationReportRequestV1,
  regimesListQueryV1,
  type ComplianceProfileV1,
  type IncidentObligationsV1,
  type RegimeListV1,
} from '@vigil/contracts';
import { ProblemException } from '@vigil/platform';
import { ApiKeyGuard, RequireScope, type AuthenticatedRequest } from '../auth/api-key.guard';
import { AuditInterceptor } from '../audit/audit.interceptor';
import { RpcClient } from '../rpc.client';
import { actorOf, checkedBody, checkedRef } from '../incidents/incidents.controller';

/**
 * Regulatory obligations: the regime table in force, each incident's obligations (who must be told,
 * by when, from which fact, citing the rule), reports made under them, and the organisation's
 * compliance profile (which entity-scoped regimes bind it). Answered by the incident service.
 */
@Controller('v1')
@UseGuards(ApiKeyGuard)
@UseInterceptors(AuditInterceptor)
export class ObligationsController {
  constructor(private readonly rpc: RpcClient) {}

  @Get('regimes')
  @RequireScope('incidents:read')
  regimes(): Promise<RegimeListV1> {
    return this.rpc.query(regimesListQueryV1, {}, 'incident');
  }

  @Get('incidents/:ref/obligations')
  @RequireScope('incidents:read')
  async obligations(@Req() req: AuthenticatedRequest, @Param('ref') ref: string): Promise<IncidentObligationsV1> {
    const { obligations } = await this.rpc.query(incidentObligationsQueryV1, { orgId: req.principal.orgId, ref: checkedRef(ref) }, 'incident');
    if (!obligations) throw new ProblemException({ status: 404, title: 'Not Found', detail: `no incident ${ref} in this organisation` });
    return obligations;
  }

  /** The report made under one rule (e.g. GDPR Art. 33 to the authority), with its reference. */
  @Post('incidents/:ref/obligations/reports')
  @HttpCode(201)
  @RequireScope('incidents:write')
  async report(@Req() req: AuthenticatedRequest, @Param('ref') ref: string, @Body() body: unknown): Promise<IncidentObligationsV1> {
    const input = checkedBody(obligationReportRequestV1, body);
    return (await this.rpc.query(obligationReportCommandV1, { orgId: req.principal.orgId, ref: checkedRef(ref), actor: actorOf(req), body: input }, 'incident')).obligations;
  }

  @Get('compliance-profile')
  @RequireScope('incidents:read')
  async profile(@Req() req: AuthenticatedRequest): Promise<ComplianceProfileV1> {
    return (await this.rpc.query(complianceProfileGetQueryV1, { orgId: req.principal.orgId }, 'incident')).profile;
  }

  @Put('compliance-profile')
  @RequireScope('admin')
  async setProfile(@Req() req: AuthenticatedRequest, @Body() body: unknown): Promise<ComplianceProfileV1> {
    const input = checkedBody(complianceProfileBodyV1, body);
    return (await this.rpc.query(complianceProfilePutCommandV1, { orgId: req.principal.orgId, body: input }, 'incident')).profile;
  }
}
