import { Controller, Get, Req, UseGuards, UseInterceptors } from '@nestjs/common';
import { ingestVerifyChainQueryV1, type ChainVerificationV1 } from '@vigil/contracts';
import { ApiKeyGuard, RequireScope, type AuthenticatedRequest } from '../auth/api-key.guard';
import { AuditInterceptor } from '../audit/audit.interceptor';
import { RpcClient } from '../rpc.client';

/** Recomputing a long chain takes a while (ingest reads it in pages); far longer than a lookup. */
export const VERIFY_TIMEOUT_MS = 120_000;

@Controller('v1/events')
@UseGuards(ApiKeyGuard)
@UseInterceptors(AuditInterceptor)
export class EventsVerifyController {
  constructor(private readonly rpc: RpcClient) {}

  /** Recomputes the org's hash chain of stored events and names the first row that fails, and how. */
  @Get('verify')
  @RequireScope('admin')
  async verify(@Req() req: AuthenticatedRequest): Promise<ChainVerificationV1> {
    const { verification } = await this.rpc.query(ingestVerifyChainQueryV1, { orgId: req.principal.orgId }, 'ingest', { timeoutMs: VERIFY_TIMEOUT_MS });
    return verification;
  }
}
