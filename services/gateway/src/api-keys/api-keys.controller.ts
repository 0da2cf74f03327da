import { Body, Controller, Delete, Get, HttpCode, Param, Post, Req, UseGuards, UseInterceptors } from '@nestjs/common';
import type { ApiKeyCreatedV1, ApiKeyListV1, ApiKeyViewV1 } from '@vigil/contracts';
import { ProblemException } from '@vigil/platform';
import { ApiKeyGuard, RequireScope, type AuthenticatedRequest } from '../auth/api-key.guard';
import { AuditInterceptor } from '../audit/audit.interceptor';
import { ApiKeyService } from './api-key.service';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The caller's org's API keys (admin only); another org's key is indistinguishable from a missing one. */
@Controller('v1/api-keys')
@UseGuards(ApiKeyGuard)
@UseInterceptors(AuditInterceptor)
export class ApiKeysController {
  constructor(private readonly keys: ApiKeyService) {}

  /** 201 with the secret, shown this once. */
  @Post()
  @HttpCode(201)
  @RequireScope('admin')
  async create(@Req() req: AuthenticatedRequest, @Body() body: unknown): Promise<ApiKeyCreatedV1> {
    return this.keys.create(req.principal.orgId, body);
  }

  @Get()
  @RequireScope('admin')
  async list(@Req() req: AuthenticatedRequest): Promise<ApiKeyListV1> {
    return this.keys.list(req.principal.orgId);
  }

  @Delete(':id')
  @RequireScope('admin')
  async delete(@Req() req: AuthenticatedRequest, @Param('id') id: string): Promise<ApiKeyViewV1> {
    return this.keys.revoke(checkedId(id), req.principal.orgId);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @RequireScope('admin')
  async revoke(@Req() req: AuthenticatedRequest, @Param('id') id: string): Promise<ApiKeyViewV1> {
    return this.keys.revoke(checkedId(id), req.principal.orgId);
  }

  @Post(':id/rotate')
  @HttpCode(200)
  @RequireScope('admin')
  async rotate(@Req() req: AuthenticatedRequest, @Param('id') id: string): Promise<ApiKeyCreatedV1> {
    return this.keys.rotate(checkedId(id), req.principal.orgId);
  }
}

function checkedId(id: string): string {
  if (!uuidPattern.test(id)) throw new ProblemException({ status: 400, title: 'Bad Request', detail: 'an API key id is a UUID', errors: [{ pointer: '/id', message: 'not a UUID' }] });
  return id.toLowerCase();
}
