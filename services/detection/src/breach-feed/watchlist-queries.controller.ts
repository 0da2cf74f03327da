import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { watchlistAddQueryV1, watchlistGetQueryV1, watchlistListQueryV1, watchlistRemoveQueryV1, type QueryReply } from '@vigil/contracts';
import { WatchlistRepository } from './watchlist.repository';
import { badRequest } from '../decisions/bad-request';


/** The gateway's watchlist CRUD (core NATS, queue group `detection`). */
@Controller()
export class WatchlistQueriesController {
  constructor(private readonly repo: WatchlistRepository) {}

  @MessagePattern(watchlistListQueryV1.subject)
  async list(@Payload() payload: unknown): Promise<QueryReply<typeof watchlistListQueryV1>> {
    const req = watchlistListQueryV1.request.safeParse(payload);
    if (!req.success) return badRequest(req.error);
    return watchlistListQueryV1.reply.parse({ items: await this.repo.list(req.data.orgId) });
  }

  @MessagePattern(watchlistGetQueryV1.subject)
  async get(@Payload() payload: unknown): Promise<QueryReply<typeof watchlistGetQueryV1>> {
    const req = watchlistGetQueryV1.request.safeParse(payload);
    if (!req.success) return badRequest(req.error);
    return watchlistGetQueryV1.reply.parse({ entry: (await this.repo.get(req.data.orgId, req.data.id)) ?? null });
  }

  @MessagePattern(watchlistAddQueryV1.subject)
  async add(@Payload() payload: unknown): Promise<QueryReply<typeof watchlistAddQueryV1>> {
    const req = watchlistAddQueryV1.request.safeParse(payload);
    if (!req.success) return badRequest(req.error);
    return watchlistAddQueryV1.reply.parse(await this.repo.add(req.data.orgId, req.data.entry));
  }

  @MessagePattern(watchlistRemoveQueryV1.subject)
  async remove(@Payload() payload: unknown): Promise<QueryReply<typeof watchlistRemoveQueryV1>> {
    const req = watchlistRemoveQueryV1.request.safeParse(payload);
    if (!req.success) return badRequest(req.error);
    return watchlistRemoveQueryV1.reply.parse({ removed: (await this.repo.remove(req.data.orgId, req.data.id)) ?? null });
  }
}
