import { Body, Controller, Get, Headers, HttpCode, Param, Patch, Post, Put, Query, Req, Res, UseGuards, UseInterceptors } from '@nestjs/common';
import type { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';
import type { z } from 'zod';
import {
  affectedPeopleBodyV1,
  assignBodyV1,
  createIncidentBodyV1,
  incidentAssignCommandV1,
  incidentCreateCommandV1,
  incidentDrillReportQueryV1,
  incidentGetQueryV1,
  incidentListParamsV1,
  incidentListQueryV1,
  incidentNoteCommandV1,
  incidentNotificationRequestCommandV1,
  incidentTaskUpdateCommandV1,
  incidentTransitionCommandV1,
  incidentUpdateCommandV1,
  incidentVerifyTimelineQueryV1,
  noteBodyV1,
  notificationRequestBodyV1,
  playbookTemplateBodyV1,
  playbookTemplateGetQueryV1,
  playbookTemplatePutCommandV1,
  taskUpdateBodyV1,
  transitionBodyV1,
  unstorableValues,
  updateIncidentBodyV1,
  zodErrors,
  type Actor,
  type DrillReportV1,
  type IncidentPageV1,
  type NotificationRequestViewV1,
  type PlaybookTemplateV1,
  type IncidentViewV1,
  type TimelineVerificationV1,
} from '@vigil/contracts';
import { ProblemException } from '@vigil/platform';
import { ApiKeyGuard, RequireScope, type AuthenticatedRequest } from '../auth/api-key.guard';
import { AuditInterceptor } from '../audit/audit.interceptor';
import { RpcClient } from '../rpc.client';
import { AffectedPeopleImporter, CSV_MEDIA_TYPE, type ImportOutcome } from './affected-people-import';

const REF = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|INC-\d{8}-\d{4,})$/i;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function checkedRef(ref: string): string {
  if (!REF.test(ref)) {
    throw new ProblemException({ status: 400, title: 'Bad Request', detail: 'incident reference must be a UUID or an incident number like INC-20261123-0001', errors: [{ pointer: '/ref', message: 'not a UUID or incident number' }] });
  }
  return ref;
}

/** Reads a body with its contract; what PostgreSQL could not store (U+0000, lone surrogates) is refused here too. */
export function checkedBody<S extends z.ZodType>(schema: S, body: unknown): z.infer<S> {
  const unstorable = unstorableValues(body);
  if (unstorable.length) throw new ProblemException({ status: 400, title: 'Bad Request', detail: 'the body holds values that cannot be stored', errors: unstorable });
  const r = schema.safeParse(body ?? {});
  if (!r.success) throw new ProblemException({ status: 400, title: 'Bad Request', detail: 'invalid request body', errors: zodErrors(r.error) });
  return r.data as z.infer<S>;
}

export const actorOf = (req: AuthenticatedRequest): Actor => ({ type: 'api-key', id: req.principal.apiKeyId });

/**
 * The incident API. Every call is answered by the incident service over core NATS request/reply
 * (queue group `incident`), which applies the lifecycle; the gateway checks bodies first so errors
 * point into what the caller sent. Audited like every incident route.
 */
@Controller('v1/incidents')
@UseGuards(ApiKeyGuard)
@UseInterceptors(AuditInterceptor)
export class IncidentsController {
  constructor(
    private readonly rpc: RpcClient,
    private readonly importer: AffectedPeopleImporter,
  ) {}

  /** The org's incidents, newest first, filtered, one page at a time. */
  @Get()
  @RequireScope('incidents:read')
  async list(@Req() req: AuthenticatedRequest, @Query() query: Record<string, unknown>): Promise<IncidentPageV1> {
    const checked = incidentListParamsV1.safeParse(query);
    if (!checked.success) throw new ProblemException({ status: 400, title: 'Bad Request', detail: 'invalid query parameters', errors: zodErrors(checked.error) });
    const params = Object.fromEntries(Object.entries(query).filter((e): e is [string, string] => typeof e[1] === 'string'));
    return (await this.rpc.query(incidentListQueryV1, { orgId: req.principal.orgId, params }, 'incident')).page;
  }

  /**
   * A manually reported incident with the facts known so far. With an `Idempotency-Key` header a
   * retried request (its answer lost) gets the incident it created, not a second one.
   */
  @Post()
  @HttpCode(201)
  @RequireScope('incidents:write')
  async create(@Req() req: AuthenticatedRequest, @Body() body: unknown, @Headers('idempotency-key') idempotencyKey?: string): Promise<IncidentViewV1> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
      throw new ProblemException({ status: 400, title: 'Bad Request', detail: 'Idempotency-Key must be 1 to 255 visible ASCII characters' });
    }
    const input = checkedBody(createIncidentBodyV1, body);
    return (await this.rpc.query(incidentCreateCommandV1, { orgId: req.principal.orgId, actor: actorOf(req), body: input, ...(idempotencyKey !== undefined ? { idempotencyKey } : {}) }, 'incident')).incident;
  }

  /** One incident by id (UUID) or number (INC-YYYYMMDD-NNNN), with its timeline. */
  @Get(':ref')
  @RequireScope('incidents:read')
  async get(@Req() req: AuthenticatedRequest, @Param('ref') ref: string): Promise<IncidentViewV1> {
    const { incident } = await this.rpc.query(incidentGetQueryV1, { orgId: req.principal.orgId, ref: checkedRef(ref) }, 'incident');
    if (!incident) throw new ProblemException({ status: 404, title: 'Not Found', detail: `no incident ${ref} in this organisation` });
    return incident;
  }

  @Patch(':ref')
  @RequireScope('incidents:write')
  async update(@Req() req: AuthenticatedRequest, @Param('ref') ref: string, @Body() body: unknown): Promise<IncidentViewV1> {
    const input = checkedBody(updateIncidentBodyV1, body);
    return (await this.rpc.query(incidentUpdateCommandV1, { orgId: req.principal.orgId, actor: actorOf(req), ref: checkedRef(ref), body: input }, 'incident')).incident;
  }

  @Post(':ref/transitions')
  @HttpCode(200)
  @RequireScope('incidents:write')
  async transition(@Req() req: AuthenticatedRequest, @Param('ref') ref: string, @Body() body: unknown): Promise<IncidentViewV1> {
    const input = checkedBody(transitionBodyV1, body);
    return (await this.rpc.query(incidentTransitionCommandV1, { orgId: req.principal.orgId, actor: actorOf(req), ref: checkedRef(ref), body: input }, 'incident')).incident;
  }

  @Post(':ref/assignment')
  @HttpCode(200)
  @RequireScope('incidents:write')
  async assign(@Req() req: AuthenticatedRequest, @Param('ref') ref: string, @Body() body: unknown): Promise<IncidentViewV1> {
    const input = checkedBody(assignBodyV1, body);
    return (await this.rpc.query(incidentAssignCommandV1, { orgId: req.principal.orgId, actor: actorOf(req), ref: checkedRef(ref), body: input }, 'incident')).incident;
  }

  @Post(':ref/notes')
  @HttpCode(201)
  @RequireScope('incidents:write')
  async note(@Req() req: AuthenticatedRequest, @Param('ref') ref: string, @Body() body: unknown): Promise<IncidentViewV1> {
    const input = checkedBody(noteBodyV1, body);
    return (await this.rpc.query(incidentNoteCommandV1, { orgId: req.principal.orgId, actor: actorOf(req), ref: checkedRef(ref), body: input }, 'incident')).incident;
  }

  @Post(':ref/affected-people')
  @HttpCode(200)
  @RequireScope('incidents:write')
  async addAffectedPeople(@Req() req: AuthenticatedRequest, @Param('ref') ref: string, @Body() body: unknown) {
    const input = checkedBody(affectedPeopleBodyV1, body);
    return this.importer.addAll(req.principal.orgId, actorOf(req), checkedRef(ref), input.people);
  }

  /** text/csv, streamed: see AffectedPeopleImporter. 200 when every row was taken, 207 when some were rejected. */
  @Post(':ref/affected-people/import')
  @RequireScope('incidents:write')
  async importAffectedPeople(@Req() req: AuthenticatedRequest, @Res({ passthrough: true }) res: FastifyReply, @Param('ref') ref: string): Promise<ImportOutcome> {
    const checked = checkedRef(ref);
    const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== CSV_MEDIA_TYPE) throw new ProblemException({ status: 415, title: 'Unsupported Media Type', detail: `send the affected people as ${CSV_MEDIA_TYPE}` });
    const upload = req.body as Readable;
    try {
      // Stopping early must not destroy the socket under the answer still to be sent.
      const outcome = await this.importer.importCsv(req.principal.orgId, actorOf(req), checked, upload.iterator({ destroyOnReturn: false }));
      res.status(outcome.rejected ? 207 : 200);
      return outcome;
    } catch (err) {
      // The rest of the upload may still be on its way: close the connection after the answer, so the
      // client never sends its next request behind a half-read body.
      if (!upload.readableEnded) res.header('connection', 'close');
      throw err;
    }
  }

  @Patch(':ref/tasks/:taskId')
  @RequireScope('incidents:write')
  async updateTask(@Req() req: AuthenticatedRequest, @Param('ref') ref: string, @Param('taskId') taskId: string, @Body() body: unknown): Promise<IncidentViewV1> {
    if (!UUID.test(taskId)) throw new ProblemException({ status: 400, title: 'Bad Request', detail: 'a task id is a UUID', errors: [{ pointer: '/taskId', message: 'not a UUID' }] });
    const input = checkedBody(taskUpdateBodyV1, body);
    return (
      await this.rpc.query(incidentTaskUpdateCommandV1, { orgId: req.principal.orgId, actor: actorOf(req), ref: checkedRef(ref), taskId: taskId.toLowerCase(), body: input }, 'incident')
    ).incident;
  }

  /** Asks for the affected people (all, or the chosen subjects) to be notified; each request has its own id. */
  @Post(':ref/notification-requests')
  @HttpCode(201)
  @RequireScope('incidents:write')
  async requestNotification(@Req() req: AuthenticatedRequest, @Param('ref') ref: string, @Body() body: unknown): Promise<NotificationRequestViewV1> {
    const input = checkedBody(notificationRequestBodyV1, body);
    return (await this.rpc.query(incidentNotificationRequestCommandV1, { orgId: req.principal.orgId, actor: actorOf(req), ref: checkedRef(ref), body: input }, 'incident')).request;
  }

  /** How long each step of a drill took (409 for a real incident). */
  @Get(':ref/drill-report')
  @RequireScope('incidents:read')
  async drillReport(@Req() req: AuthenticatedRequest, @Param('ref') ref: string): Promise<DrillReportV1> {
    return (await this.rpc.query(incidentDrillReportQueryV1, { orgId: req.principal.orgId, ref: checkedRef(ref) }, 'incident')).report;
  }

  /** Recomputes the incident's hash-chained timeline and names the first entry that fails. */
  @Get(':ref/timeline/verify')
  @RequireScope('incidents:read')
  async verifyTimeline(@Req() req: AuthenticatedRequest, @Param('ref') ref: string): Promise<TimelineVerificationV1> {
    return (await this.rpc.query(incidentVerifyTimelineQueryV1, { orgId: req.principal.orgId, ref: checkedRef(ref) }, 'incident')).verification;
  }
}

/** The organisation's playbook template: the tasks its new incidents start with (the seed default until set). */
@Controller('v1/playbook-template')
@UseGuards(ApiKeyGuard)
@UseInterceptors(AuditInterceptor)
export class PlaybookTemplateController {
  constructor(private readonly rpc: RpcClient) {}

  @Get()
  @RequireScope('incidents:read')
  async get(@Req() req: AuthenticatedRequest): Promise<PlaybookTemplateV1> {
    return (await this.rpc.query(playbookTemplateGetQueryV1, { orgId: req.principal.orgId }, 'incident')).template;
  }

  @Put()
  @RequireScope('admin')
  async put(@Req() req: AuthenticatedRequest, @Body() body: unknown): Promise<PlaybookTemplateV1> {
    const input = checkedBody(playbookTemplateBodyV1, body);
    return (await this.rpc.query(playbookTemplatePutCommandV1, { orgId: req.principal.orgId, actor: actorOf(req), body: input }, 'incident')).template;
  }
}
