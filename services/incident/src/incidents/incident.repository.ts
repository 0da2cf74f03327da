import { Inject, Injectable } from '@nestjs/common';
import { sql, type Insertable, type Selectable, type Transaction, type Updateable } from 'kysely';
import { OPEN_INCIDENT_STATUSES, type IncidentStatus, type PlaybookTemplateBodyV1, type Severity } from '@vigil/contracts';
import { DATABASE } from '@vigil/platform';
import type { Database } from '@vigil/db';
import type { ActorJson, IncidentDatabase, IncidentsTable } from '../db/schema';
import { TIMELINE_GENESIS, timelineHash } from '../timeline/timeline-chain';
import { formatIncidentNumber, utcDay } from './incident-number';

type Tx = Transaction<IncidentDatabase>;
export type IncidentRow = Selectable<IncidentsTable>;
export type IncidentPatch = Updateable<IncidentsTable>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface TimelineEntry {
  kind: string;
  actor: ActorJson;
  at: Date;
  detail: unknown;
}

export interface NewAffectedPerson {
  subjectId: string;
  contact?: string | undefined;
  country?: string | undefined;
  region?: string | undefined;
  dataCategories?: readonly string[] | undefined;
}

export interface ListFilter {
  statuses?: IncidentStatus[] | undefined;
  severities?: Severity[] | undefined;
  drill?: boolean | undefined;
  since?: Date | undefined;
  after?: { createdAt: Date; id: string } | undefined;
  limit: number;
}

/** The only code that touches incident's tables. */
@Injectable()
export class IncidentRepository {
  constructor(@Inject(DATABASE) private readonly database: Database<IncidentDatabase>) {}

  get db() {
    return this.database.db;
  }

  /** Serialises work on one correlation key, so two detections of one attack can't both open an incident. */
  async lockCorrelation(tx: Tx, orgId: string, key: string): Promise<void> {
    await sql`select pg_advisory_xact_lock(hashtextextended(${`${orgId}|${key}`}, 0))`.execute(tx);
  }

  /** The newest not-closed incident of a correlation key, locked for the merge. */
  async findOpenByCorrelation(tx: Tx, orgId: string, key: string): Promise<IncidentRow | undefined> {
    return tx
      .selectFrom('incidents')
      .selectAll()
      .where('org_id', '=', orgId)
      .where('correlation_key', '=', key)
      .where('status', 'in', [...OPEN_INCIDENT_STATUSES])
      .orderBy('last_seen_at', 'desc')
      .limit(1)
      .forUpdate()
      .executeTakeFirst();
  }

  /** Next number for the org and day, taken in the caller's transaction: no gaps on rollback, no duplicates. */
  async nextNumber(tx: Tx, orgId: string, at: Date): Promise<string> {
    const day = utcDay(at);
    const row = await tx
      .insertInto('incident_counters')
      .values({ org_id: orgId, day, last_value: 1 })
      .onConflict((oc) => oc.columns(['org_id', 'day']).doUpdateSet({ last_value: sql`incident_counters.last_value + 1` }))
      .returning('last_value')
      .executeTakeFirstOrThrow();
    return formatIncidentNumber(day, row.last_value);
  }

  async insert(tx: Tx, values: Insertable<IncidentsTable>): Promise<IncidentRow> {
    return tx.insertInto('incidents').values(values).returningAll().executeTakeFirstOrThrow();
  }

  /** One incident of one org by id or number, locked for a change; another org's is not found. */
  async lockForOrg(tx: Tx, orgId: string, ref: string): Promise<IncidentRow | undefined> {
    return tx
      .selectFrom('incidents')
      .selectAll()
      .where('org_id', '=', orgId)
      .where(UUID.test(ref) ? 'id' : 'number', '=', ref)
      .forUpdate()
      .executeTakeFirst();
  }

  /**
   * Appends one timeline entry to the incident's chain and applies the change to the incident row,
   * whose lock the caller holds: seq and head move together, in the change's transaction.
   */
  async appendChange(tx: Tx, before: IncidentRow, entry: TimelineEntry, patch: IncidentPatch): Promise<{ row: IncidentRow; seq: number }> {
    const seq = before.timeline_seq + 1;
    const prev = before.timeline_head ?? TIMELINE_GENESIS;
    // Through JSON once, so the hash covers exactly what jsonb stores and hands back.
    const detail = JSON.parse(JSON.stringify(entry.detail ?? {})) as unknown;
    const hash = timelineHash(prev, { incidentId: before.id, orgId: before.org_id, seq, at: entry.at.toISOString(), kind: entry.kind, actor: entry.actor, detail });
    await tx
      .insertInto('incident_timeline')
      .values({ incident_id: before.id, org_id: before.org_id, seq, at: entry.at, kind: entry.kind, actor: JSON.stringify(entry.actor), detail: JSON.stringify(detail), prev_hash: prev, hash })
      .execute();
    const row = await tx
      .updateTable('incidents')
      .set({ ...patch, timeline_seq: seq, timeline_head: hash, updated_at: entry.at })
      .where('id', '=', before.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return { row, seq };
  }

  async linkDetection(tx: Tx, orgId: string, detectionId: string, incidentId: string): Promise<boolean> {
    const r = await tx
      .insertInto('incident_detections')
      .values({ org_id: orgId, detection_id: detectionId, incident_id: incidentId })
      .onConflict((oc) => oc.columns(['org_id', 'detection_id']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  async insertTasks(
    tx: Tx,
    tasks: { id: string; incident_id: string; org_id: string; position: number; phase: string; title: string; due_at: Date | null; due_after_hours: number | null; assignee: string | null }[],
  ): Promise<void> {
    if (tasks.length) await tx.insertInto('incident_tasks').values(tasks.map((t) => ({ ...t, completed_by: JSON.stringify(null) }))).execute();
  }

  /** Open tasks follow a corrected discovery time, each by its own clock; completed ones keep the deadline they were held to. */
  async shiftOpenTaskDeadlines(tx: Tx, incidentId: string, discoveredAt: Date): Promise<void> {
    await tx
      .updateTable('incident_tasks')
      .set({ due_at: sql<Date | null>`${discoveredAt}::timestamptz + due_after_hours * interval '1 hour'` })
      .where('incident_id', '=', incidentId)
      .where('completed_at', 'is', null)
      .execute();
  }

  /** The org's own playbook template, if it set one. */
  async playbookTemplate(orgId: string, tx: Tx | Database<IncidentDatabase>['db'] = this.db) {
    return tx.selectFrom('playbook_templates').selectAll().where('org_id', '=', orgId).executeTakeFirst();
  }

  async savePlaybookTemplate(orgId: string, tasks: PlaybookTemplateBodyV1['tasks'], by: ActorJson) {
    return this.db
      .insertInto('playbook_templates')
      .values({ org_id: orgId, tasks: JSON.stringify(tasks), updated_at: new Date(), updated_by: JSON.stringify(by) })
      .onConflict((oc) => oc.column('org_id').doUpdateSet((eb) => ({ tasks: eb.ref('excluded.tasks'), updated_at: eb.ref('excluded.updated_at'), updated_by: eb.ref('excluded.updated_by') })))
      .returningAll()
      .executeTakeFirstOrThrow();
  }

  /** Which of these subjects are not recorded as affected people of the incident. */
  async unknownSubjects(tx: Tx, incidentId: string, subjectIds: readonly string[]): Promise<Set<string>> {
    const known = await tx.selectFrom('incident_affected_people').select('subject_id').where('incident_id', '=', incidentId).where('subject_id', 'in', [...subjectIds]).execute();
    const found = new Set(known.map((k) => k.subject_id));
    return new Set(subjectIds.filter((id) => !found.has(id)));
  }

  async lockTask(tx: Tx, incidentId: string, taskId: string) {
    return tx.selectFrom('incident_tasks').selectAll().where('incident_id', '=', incidentId).where('id', '=', taskId).forUpdate().executeTakeFirst();
  }

  async updateTask(tx: Tx, taskId: string, patch: { assignee?: string | null; completed_at?: Date | null; completed_by?: string }): Promise<void> {
    await tx.updateTable('incident_tasks').set(patch).where('id', '=', taskId).execute();
  }

  /**
   * Adds affected people in one multi-row insert per chunk; a subject already recorded for the
   * incident is skipped (so a resent batch adds nothing). Returns how many rows were new.
   */
  async addAffectedPeople(tx: Tx, incident: { id: string; org_id: string }, people: readonly NewAffectedPerson[]): Promise<number> {
    let added = 0;
    // 6 parameters a row: 5,000 rows stay under PostgreSQL's 65,535 bind parameters.
    for (let i = 0; i < people.length; i += 5000) {
      const chunk = people.slice(i, i + 5000);
      const r = await tx
        .insertInto('incident_affected_people')
        .values(
          chunk.map((p) => ({
            incident_id: incident.id,
            org_id: incident.org_id,
            subject_id: p.subjectId,
            contact: p.contact ?? null,
            country: p.country ?? null,
            region: p.region ?? null,
            data_categories: [...(p.dataCategories ?? [])],
          })),
        )
        .onConflict((oc) => oc.columns(['incident_id', 'subject_id']).doNothing())
        .executeTakeFirst();
      added += Number(r.numInsertedOrUpdatedRows ?? 0n);
    }
    return added;
  }

  /** One incident of one org, by id or number, with its timeline, tasks and detection count. */
  async findForOrg(orgId: string, ref: string) {
    const incident = await this.db
      .selectFrom('incidents')
      .selectAll()
      .where('org_id', '=', orgId)
      .where(UUID.test(ref) ? 'id' : 'number', '=', ref)
      .executeTakeFirst();
    if (!incident) return undefined;
    return this.details(incident);
  }

  async details(incident: IncidentRow) {
    const [timeline, tasks, detections] = await Promise.all([
      this.db.selectFrom('incident_timeline').select(['seq', 'at', 'kind', 'actor', 'detail']).where('incident_id', '=', incident.id).orderBy('seq').execute(),
      this.db.selectFrom('incident_tasks').selectAll().where('incident_id', '=', incident.id).orderBy('position').execute(),
      this.db
        .selectFrom('incident_detections')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('incident_id', '=', incident.id)
        .executeTakeFirstOrThrow(),
    ]);
    return { incident, timeline, tasks, detectionCount: Number(detections.n) };
  }

  /** One page of an org's incidents, newest first (keyset on created_at, id). */
  async list(orgId: string, f: ListFilter): Promise<IncidentRow[]> {
    let q = this.db.selectFrom('incidents').selectAll().where('org_id', '=', orgId);
    if (f.statuses) q = q.where('status', 'in', f.statuses);
    if (f.severities) q = q.where('severity', 'in', f.severities);
    if (f.drill !== undefined) q = q.where('drill', '=', f.drill);
    if (f.since) q = q.where('created_at', '>=', f.since);
    if (f.after) {
      const { createdAt, id } = f.after;
      q = q.where((eb) => eb.or([eb('created_at', '<', createdAt), eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)])]));
    }
    return q.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(f.limit).execute();
  }

  /** The incident's chain, in pages of `pageSize` entries by seq. */
  async timelinePage(incidentId: string, afterSeq: number, pageSize: number) {
    return this.db
      .selectFrom('incident_timeline')
      .select(['seq', 'at', 'kind', 'actor', 'detail', 'prev_hash', 'hash', 'org_id'])
      .where('incident_id', '=', incidentId)
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(pageSize)
      .execute();
  }

  async hasTimelineHash(incidentId: string, hash: Buffer): Promise<boolean> {
    if (hash.equals(TIMELINE_GENESIS)) return true;
    const row = await this.db.selectFrom('incident_timeline').select('seq').where('incident_id', '=', incidentId).where('hash', '=', hash).limit(1).executeTakeFirst();
    return row !== undefined;
  }
}
