import { Inject, Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import { Observable, tap } from 'rxjs';
import { adminActionV1, createEvent, deriveId, ingestSubmittedSubject, ipField, type AdminActionV1 } from '@vigil/contracts';
import { enqueueEvents } from '@vigil/messaging';
import { DATABASE, LOGGER } from '@vigil/platform';
import type { Database } from '@vigil/db';
import type { GatewayDatabase } from '../db/schema';
import { REQUIRED_SCOPE, type AuthenticatedRequest } from '../auth/api-key.guard';

export const AUDIT_EVENT_SOURCE = 'vigil://gateway';

/**
 * Records every authenticated call (who, what, outcome) in the gateway's audit log. A call to an
 * admin-scope route also becomes an `admin.action` event for its org, committed with the audit row
 * through the outbox and submitted to ingest like any producer event, so Vigil watches its own admins
 * with the same pipeline (stored, hash-chained, published) it offers producers.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    @Inject(DATABASE) private readonly database: Database<GatewayDatabase>,
    @Inject(LOGGER) private readonly log: Logger,
    private readonly reflector: Reflector,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const adminRoute = this.reflector.get<string | undefined>(REQUIRED_SCOPE, context.getHandler()) === 'admin';
    const record = (status: number) => {
      if (!req.principal) return;
      const route = req.routeOptions?.url ?? req.url;
      const principal = req.principal;
      void this.database.db
        .transaction()
        .execute(async (tx) => {
          const row = await tx
            .insertInto('audit_log')
            .values({ org_id: principal.orgId, api_key_id: principal.apiKeyId, method: req.method, route, path: req.url.slice(0, 2048), status, ip: req.ip ?? null })
            .returning(['id', 'at'])
            .executeTakeFirstOrThrow();
          if (!adminRoute) return;
          const data = adminActionData(req, route, status);
          // The id derives from the audit row, so a relay retry republishes the same event, never a second one.
          const event = createEvent(adminActionV1, { orgid: principal.orgId, source: AUDIT_EVENT_SOURCE, id: deriveId('gateway-audit', principal.orgId, String(row.id)), time: row.at, data });
          await enqueueEvents(tx, [event], { subject: (e) => ingestSubmittedSubject(e.orgid) });
        })
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

/** The admin.action data for a gateway call: action = method + route template, target from the route's `:id`. */
export function adminActionData(req: AuthenticatedRequest, route: string, status: number): AdminActionV1 {
  const params = (req.params ?? {}) as Record<string, unknown>;
  // `/v1/<resource>/...`: the resource names the target type.
  const resource = route.split('/').filter(Boolean)[1]?.slice(0, 64);
  const targetId = typeof params.id === 'string' && params.id.length > 0 ? params.id.slice(0, 256) : undefined;
  const userAgent = req.headers['user-agent'];
  const ip = ipField.safeParse(req.ip);
  return {
    adminId: req.principal.apiKeyId,
    action: `${req.method} ${route}`.slice(0, 256),
    ...(resource ? { target: { type: resource, ...(targetId ? { id: targetId } : {}) } } : {}),
    status: status >= 100 && status <= 599 ? status : 500,
    metadata: { path: req.url.slice(0, 1024) },
    ...(ip.success ? { ip: ip.data } : {}),
    ...(typeof userAgent === 'string' ? { userAgent: userAgent.slice(0, 1024) } : {}),
  };
}
