import { Body, Controller, Delete, Get, Param, Post, Req, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { watchlistAddQueryV1, watchlistCreateRequestV1, watchlistGetQueryV1, watchlistListQueryV1, watchlistRemoveQueryV1, zodErrors, type WatchlistEntryV1 } from '@vigil/contracts';
import { ProblemException } from '@vigil/platform';
import { ApiKeyGuard, RequireScope, type AuthenticatedRequest } from '../auth/api-key.guard';
import { AuditInterceptor } from '../audit/audit.interceptor';
import { RpcClient } from '../rpc.client';
import { checkedId } from './checked-id';

const notFound = (id: string) => new ProblemException({ status: 404, title: 'Not Found', detail: `no watchlist entry ${id} in this organisation` });

/**
 * Domains and email addresses (work and personal) an org monitors in breach feeds (`admin`). Stored by
 * detection, whose breach-feed connector reads them; the gateway keeps nothing.
 */
@Controller('v1/watchlist')
@UseGuards(ApiKeyGuard)
@UseInterceptors(AuditInterceptor)
export class WatchlistController {
  constructor(private readonly rpc: RpcClient) {}

  @Get()
  @RequireScope('admin')
  async list(@Req() req: AuthenticatedRequest): Promise<{ items: WatchlistEntryV1[] }> {
    return this.rpc.query(watchlistListQueryV1, { orgId: req.principal.orgId }, 'detection');
  }

  /** 201 with the new entry; 200 with the existing one when it is already watched. */
  @Post()
  @RequireScope('admin')
  async add(@Req() req: AuthenticatedRequest, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply): Promise<WatchlistEntryV1> {
    const r = watchlistCreateRequestV1.safeParse(body);
    if (!r.success) throw new ProblemException({ status: 400, title: 'Bad Request', detail: 'invalid watchlist entry', errors: zodErrors(r.error) });
    const { entry, created } = await this.rpc.query(watchlistAddQueryV1, { orgId: req.principal.orgId, entry: r.data }, 'detection');
    void reply.status(created ? 201 : 200);
    return entry;
  }

  @Get(':id')
  @RequireScope('admin')
  async get(@Req() req: AuthenticatedRequest, @Param('id') id: string): Promise<WatchlistEntryV1> {
    const { entry } = await this.rpc.query(watchlistGetQueryV1, { orgId: req.principal.orgId, id: checkedId(id, 'watchlist entry') }, 'detection');
    if (!entry) throw notFound(id);
    return entry;
  }

  /** Stops monitoring; exposures already reported stay reported (re-adding does not repeat them). */
  @Delete(':id')
  @RequireScope('admin')
  async remove(@Req() req: AuthenticatedRequest, @Param('id') id: string): Promise<WatchlistEntryV1> {
    const { removed } = await this.rpc.query(watchlistRemoveQueryV1, { orgId: req.principal.orgId, id: checkedId(id, 'watchlist entry') }, 'detection');
    if (!removed) throw notFound(id);
    return removed;
  }
}
