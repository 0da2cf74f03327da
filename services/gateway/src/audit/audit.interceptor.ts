import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { Observable, tap } from 'rxjs';
import { DATABASE, LOGGER } from '@vigil/platform';
import type { Database } from '@vigil/db';
import type { GatewayDatabase } from '../db/schema';
import type { AuthenticatedRequest } from '../auth/api-key.guard';

/** Records every authenticated admin call (who, what, outcome) in the gateway's audit log. */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    @Inject(DATABASE) private readonly database: Database<GatewayDatabase>,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const record = (status: number) => {
      if (!req.principal) return;
      void this.database.db
        .insertInto('audit_log')
        .values({
          org_id: req.principal.orgId,
          api_key_id: req.principal.apiKeyId,
          method: req.method,
          route: req.routeOptions?.url ?? req.url,
          path: req.url.slice(0, 2048),
          status,
          ip: req.ip ?? null,
        })
        .execute()
        .catch((err) => this.log.error({ err }, 'audit write failed'));
    };
    return next.handle().pipe(
      tap({
        next: () => record(context.switchToHttp().getResponse<FastifyReply>().statusCode),
        error: (err: { getStatus?: () => number }) => record(err?.getStatus?.() ?? 500),
      }),
    );
  }
}
