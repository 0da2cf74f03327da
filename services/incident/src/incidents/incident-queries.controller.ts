import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { z } from 'zod';
import {
  incidentAddAffectedPeopleCommandV1,
  incidentAssignCommandV1,
  incidentCreateCommandV1,
  incidentDrillReportQueryV1,
  incidentGetQueryV1,
  incidentListQueryV1,
  incidentListParamsV1,
  incidentNoteCommandV1,
  incidentNotificationRequestCommandV1,
  incidentTaskUpdateCommandV1,
  incidentTransitionCommandV1,
  incidentUpdateCommandV1,
  incidentVerifyTimelineQueryV1,
  playbookTemplateGetQueryV1,
  playbookTemplatePutCommandV1,
  zodErrors,
  type CommandErrorReply,
  type QueryDefinition,
  type QueryReply,
} from '@vigil/contracts';
import { IncidentRepository, type IncidentRow } from './incident.repository';
import { CommandError, IncidentService } from './incident.service';
import { toSummary, toView } from './incident.view';
import { drillReport } from './drill-report';
import { TimelineVerifier } from '../timeline/timeline-verifier';

/** Reads a request with its contract; pointers name the HTTP body's fields (the `/body` prefix dropped). */
function parse<Q extends QueryDefinition>(q: Q, payload: unknown): z.infer<Q['request']> {
  const r = q.request.safeParse(payload);
  if (!r.success) {
    const errors = zodErrors(r.error).map((e) => ({ ...e, pointer: e.pointer.replace(/^\/body(?=\/|$)/, '') || '/' }));
    throw new CommandError({ error: 'bad-request', detail: 'invalid request', errors });
  }
  return r.data as z.infer<Q['request']>;
}

async function answer<T>(fn: () => Promise<T>): Promise<T | CommandErrorReply> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CommandError) return err.reply;
    throw err;
  }
}

/** Request/reply queries and commands for the gateway (core NATS, queue group `incident`). */
@Controller()
export class IncidentQueriesController {
  constructor(
    private readonly repo: IncidentRepository,
    private readonly incidents: IncidentService,
    private readonly verifier: TimelineVerifier,
  ) {}

  private async view(row: IncidentRow) {
    return { incident: toView(await this.repo.details(row), new Date()) };
  }

  @MessagePattern(incidentGetQueryV1.subject)
  async get(@Payload() payload: unknown): Promise<QueryReply<typeof incidentGetQueryV1>> {
    const req = incidentGetQueryV1.request.safeParse(payload);
    if (!req.success) return { error: 'bad-request', detail: req.error.issues.map((i) => i.message).join('; ') };
    const found = await this.repo.findForOrg(req.data.orgId, req.data.ref);
    // Checked against the contract here, where a drift is a bug of this service, not of the gateway.
    return incidentGetQueryV1.reply.parse({ incident: found ? toView(found, new Date()) : null });
  }

  @MessagePattern(incidentListQueryV1.subject)
  list(@Payload() payload: unknown): Promise<QueryReply<typeof incidentListQueryV1>> {
    return answer(async () => {
      const { orgId, params } = parse(incidentListQueryV1, payload);
      const parsed = incidentListParamsV1.safeParse(params);
      if (!parsed.success) throw new CommandError({ error: 'bad-request', detail: 'invalid query parameters', errors: zodErrors(parsed.error) });
      const p = parsed.data;
      const after = p.cursor === undefined ? undefined : decodeCursor(p.cursor);
      const rows = await this.repo.list(orgId, { statuses: p.status, severities: p.severity, drill: p.drill, since: p.since ? new Date(p.since) : undefined, after, limit: p.limit + 1 });
      const page = rows.slice(0, p.limit);
      const last = page[page.length - 1];
      const nextCursor = rows.length > p.limit && last ? encodeCursor(last) : null;
      return incidentListQueryV1.reply.parse({ page: { items: page.map(toSummary), nextCursor } });
    });
  }

  @MessagePattern(incidentCreateCommandV1.subject)
  create(@Payload() payload: unknown): Promise<QueryReply<typeof incidentCreateCommandV1>> {
    return answer(async () => {
      const { orgId, actor, body, idempotencyKey } = parse(incidentCreateCommandV1, payload);
      return this.view(await this.incidents.create(orgId, actor, body, idempotencyKey));
    });
  }

  @MessagePattern(incidentUpdateCommandV1.subject)
  update(@Payload() payload: unknown): Promise<QueryReply<typeof incidentUpdateCommandV1>> {
    return answer(async () => {
      const { orgId, actor, ref, body } = parse(incidentUpdateCommandV1, payload);
      return this.view(await this.incidents.update(orgId, actor, ref, body));
    });
  }

  @MessagePattern(incidentTransitionCommandV1.subject)
  transition(@Payload() payload: unknown): Promise<QueryReply<typeof incidentTransitionCommandV1>> {
    return answer(async () => {
      const { orgId, actor, ref, body } = parse(incidentTransitionCommandV1, payload);
      return this.view(await this.incidents.transition(orgId, actor, ref, body));
    });
  }

  @MessagePattern(incidentAssignCommandV1.subject)
  assign(@Payload() payload: unknown): Promise<QueryReply<typeof incidentAssignCommandV1>> {
    return answer(async () => {
      const { orgId, actor, ref, body } = parse(incidentAssignCommandV1, payload);
      return this.view(await this.incidents.assign(orgId, actor, ref, body.assignee));
    });
  }

  @MessagePattern(incidentNoteCommandV1.subject)
  note(@Payload() payload: unknown): Promise<QueryReply<typeof incidentNoteCommandV1>> {
    return answer(async () => {
      const { orgId, actor, ref, body } = parse(incidentNoteCommandV1, payload);
      return this.view(await this.incidents.note(orgId, actor, ref, body.text));
    });
  }

  @MessagePattern(incidentTaskUpdateCommandV1.subject)
  updateTask(@Payload() payload: unknown): Promise<QueryReply<typeof incidentTaskUpdateCommandV1>> {
    return answer(async () => {
      const { orgId, actor, ref, taskId, body } = parse(incidentTaskUpdateCommandV1, payload);
      return this.view(await this.incidents.updateTask(orgId, actor, ref, taskId, body));
    });
  }

  @MessagePattern(incidentAddAffectedPeopleCommandV1.subject)
  addAffectedPeople(@Payload() payload: unknown): Promise<QueryReply<typeof incidentAddAffectedPeopleCommandV1>> {
    return answer(async () => {
      const { orgId, actor, ref, body } = parse(incidentAddAffectedPeopleCommandV1, payload);
      const { added, duplicates, total } = await this.incidents.addAffectedPeople(orgId, actor, ref, body.people);
      return { result: { added, duplicates, total } };
    });
  }

  @MessagePattern(incidentVerifyTimelineQueryV1.subject)
  verifyTimeline(@Payload() payload: unknown): Promise<QueryReply<typeof incidentVerifyTimelineQueryV1>> {
    return answer(async () => {
      const { orgId, ref } = parse(incidentVerifyTimelineQueryV1, payload);
      const verification = await this.verifier.verify(orgId, ref);
      if (!verification) throw new CommandError({ error: 'not-found', detail: `no incident ${ref} in this organisation` });
      return { verification };
    });
  }

  @MessagePattern(incidentNotificationRequestCommandV1.subject)
  requestNotification(@Payload() payload: unknown): Promise<QueryReply<typeof incidentNotificationRequestCommandV1>> {
    return answer(async () => {
      const { orgId, actor, ref, body } = parse(incidentNotificationRequestCommandV1, payload);
      return { request: await this.incidents.requestNotification(orgId, actor, ref, body) };
    });
  }

  @MessagePattern(incidentDrillReportQueryV1.subject)
  drillReport(@Payload() payload: unknown): Promise<QueryReply<typeof incidentDrillReportQueryV1>> {
    return answer(async () => {
      const { orgId, ref } = parse(incidentDrillReportQueryV1, payload);
      const found = await this.repo.findForOrg(orgId, ref);
      if (!found) throw new CommandError({ error: 'not-found', detail: `no incident ${ref} in this organisation` });
      if (!found.incident.drill) throw new CommandError({ error: 'conflict', detail: `${found.incident.number} is not a drill: drill reports are for tabletop exercises` });
      return incidentDrillReportQueryV1.reply.parse({ report: drillReport(found, new Date()) });
    });
  }

  @MessagePattern(playbookTemplateGetQueryV1.subject)
  playbookTemplate(@Payload() payload: unknown): Promise<QueryReply<typeof playbookTemplateGetQueryV1>> {
    return answer(async () => ({ template: await this.incidents.playbookTemplate(parse(playbookTemplateGetQueryV1, payload).orgId) }));
  }

  @MessagePattern(playbookTemplatePutCommandV1.subject)
  setPlaybookTemplate(@Payload() payload: unknown): Promise<QueryReply<typeof playbookTemplatePutCommandV1>> {
    return answer(async () => {
      const { orgId, actor, body } = parse(playbookTemplatePutCommandV1, payload);
      return { template: await this.incidents.setPlaybookTemplate(orgId, actor, body) };
    });
  }
}

/** Opaque keyset cursor: the last item's (created_at, id). */
function encodeCursor(row: IncidentRow): string {
  return Buffer.from(JSON.stringify([row.created_at.toISOString(), row.id])).toString('base64url');
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof at === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(at)) && /^[0-9a-f-]{36}$/.test(id)) return { createdAt: new Date(at), id };
  } catch {
    // falls through to the 400 below
  }
  throw new CommandError({ error: 'bad-request', detail: 'cursor is not one this API handed out', errors: [{ pointer: '/cursor', message: 'invalid cursor' }] });
}
