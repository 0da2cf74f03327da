import { Controller, Get, HttpCode, Param, Post, Query, Req, UseGuards, UseInterceptors } from '@nestjs/common';
import { deadLetterListParamsV1, zodErrors, type DeadLetterPageV1, type DeadLetterViewV1 } from '@vigil/contracts';
import { ProblemException } from '@vigil/platform';
import { ApiKeyGuard, RequireScope, type AuthenticatedRequest } from '../auth/api-key.guard';
import { AuditInterceptor } from '../audit/audit.interceptor';
import { DeadLetterReplayer, DeadLetterService } from './dead-letter.service';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The caller's org's dead letters. Records whose org is unknown never show here (only in the CLI), and
 * another org's record is indistinguishable from a missing one.
 */
@Controller('v1/dead-letters')
@UseGuards(ApiKeyGuard)
@UseInterceptors(AuditInterceptor)
export class DeadLettersController {
  constructor(
    private readonly deadLetters: DeadLetterService,
    private readonly replayer: DeadLetterReplayer,
  ) {}

  /** Newest first, `limit` (≤ 100) per page, `nextCursor` for the next; optionally one consumer's only. */
  @Get()
  @RequireScope('admin')
  async list(@Req() req: AuthenticatedRequest, @Query() query: unknown): Promise<DeadLetterPageV1> {
    const params = deadLetterListParamsV1.safeParse(query ?? {});
    if (!params.success) {
      throw new ProblemException({ status: 400, title: 'Bad Request', detail: 'invalid query parameters', errors: zodErrors(params.error) });
    }
    const { limit, cursor, consumer } = params.data;
    return this.deadLetters.list({ orgId: req.principal.orgId, limit, ...(cursor !== undefined ? { cursor } : {}), ...(consumer !== undefined ? { consumer } : {}) });
  }

  @Get(':id')
  @RequireScope('admin')
  async get(@Req() req: AuthenticatedRequest, @Param('id') id: string): Promise<DeadLetterViewV1> {
    return found(id, await this.deadLetters.get(checkedId(id), req.principal.orgId));
  }

  /** Republishes the original message to its original subject; 202 with the updated record. */
  @Post(':id/replay')
  @HttpCode(202)
  @RequireScope('admin')
  async replay(@Req() req: AuthenticatedRequest, @Param('id') id: string): Promise<DeadLetterViewV1> {
    return found(id, await this.replayer.replay(checkedId(id), req.principal.orgId));
  }
}

function checkedId(id: string): string {
  if (!uuidPattern.test(id)) throw new ProblemException({ status: 400, title: 'Bad Request', detail: 'a dead letter id is a UUID', errors: [{ pointer: '/id', message: 'not a UUID' }] });
  return id.toLowerCase();
}

function found<T>(id: string, value: T | undefined): T {
  if (value === undefined) throw new ProblemException({ status: 404, title: 'Not Found', detail: `no dead letter ${id} in this organisation` });
  return value;
}
