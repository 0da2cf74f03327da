import { Inject, Injectable } from '@nestjs/common';
import { sql, type Insertable, type Transaction } from 'kysely';
import type { Logger } from 'pino';
import {
  createEvent,
  deriveId,
  findTransition,
  incidentAffectedPeopleAddedV1,
  incidentAssignedV1,
  incidentCreatedV1,
  incidentDetectionMergedV1,
  incidentNoteAddedV1,
  incidentNotificationRequestedV1,
  incidentStatusChangedV1,
  incidentTaskUpdatedV1,
  incidentUpdatedV1,
  INCIDENT_TRANSITIONS,
  isOpenStatus,
  newId,
  STATUS_TIMESTAMP,
  type AffectedPersonInput,
  type CommandErrorReply,
  type CreateIncidentBodyV1,
  type DetectionTriggeredV1,
  type EventData,
  type EventDefinition,
  type IncidentFacts,
  type NotificationRequestBodyV1,
  type NotificationRequestViewV1,
  type PlaybookTemplateBodyV1,
  type Severity,
  type TransitionBodyV1,
  type UpdateIncidentBodyV1,
} from '@vigil/contracts';
import { enqueueEvents } from '@vigil/messaging';
import { CONFIG, LOGGER } from '@vigil/platform';
import type { IncidentConfig } from '../config';
import type { ActorJson, IncidentDatabase, IncidentsTable } from '../db/schema';
import { canonicalJson } from '../timeline/timeline-chain';
import { IncidentRepository, type IncidentPatch, type IncidentRow, type TimelineEntry } from './incident.repository';
import { snapshotOf } from './incident.view';
import { PLAYBOOK } from './playbook';
import { classifySeverity, maxSeverity } from './severity';

type Tx = Transaction<IncidentDatabase>;
const SOURCE = 'vigil://incident';
const HOUR = 3_600_000;
const EVIDENCE_MAX = 500;
const SERVICE_ACTOR: ActorJson = { type: 'service', id: 'incident' };

/** A command the incident's state or facts refuse; the controller answers it as the reply. */
export class CommandError extends Error {
  constructor(readonly reply: CommandErrorReply) {
    super(reply.detail);
  }
}

const notFound = (ref: string) => new CommandError({ error: 'not-found', detail: `no incident ${ref} in this organisation` });

/** Facts as the API names them, read from a row (what an update compares against). */
function factsOf(r: IncidentRow): IncidentFacts {
  return {
    title: r.title,
    description: r.description,
    category: r.category,
    breachAt: r.breach_at?.toISOString() ?? null,
    discoveredAt: r.discovered_at.toISOString(),
    dataCategories: r.data_categories as IncidentFacts['dataCategories'],
    affectedCount: r.affected_count === null ? null : Number(r.affected_count),
    affectedByRegion: r.affected_by_region as IncidentFacts['affectedByRegion'],
    encryption: r.encryption,
    activeThreat: r.active_threat,
    jurisdictions: r.jurisdictions,
    riskAssessment: r.risk_assessment as IncidentFacts['riskAssessment'],
    mitigationSteps: r.mitigation_steps,
    userActionsRequired: r.user_actions_required,
    supportContact: r.support_contact,
    reportedToAuthorities: r.reported_to_authorities,
    authorityReference: r.authority_reference,
    usersNotified: r.users_notified,
    notificationSentAt: r.notification_sent_at?.toISOString() ?? null,
    notificationMethod: r.notification_method,
  };
}

/** Facts nobody has stated yet. */
const DEFAULT_FACTS: Omit<IncidentFacts, 'title' | 'discoveredAt'> = {
  description: '',
  category: 'other',
  breachAt: null,
  dataCategories: [],
  affectedCount: null,
  affectedByRegion: [],
  encryption: 'none',
  activeThreat: false,
  jurisdictions: [],
  riskAssessment: null,
  mitigationSteps: '',
  userActionsRequired: '',
  supportContact: '',
  reportedToAuthorities: false,
  authorityReference: null,
  usersNotified: false,
  notificationSentAt: null,
  notificationMethod: null,
};

const date = (v: string | null | undefined) => (v === null || v === undefined ? null : new Date(v));

/** The columns a set of facts writes. */
function factColumns(f: Partial<IncidentFacts>): IncidentPatch {
  const p: IncidentPatch = {};
  if (f.title !== undefined) p.title = f.title;
  if (f.description !== undefined) p.description = f.description;
  if (f.category !== undefined) p.category = f.category;
  if (f.breachAt !== undefined) p.breach_at = date(f.breachAt);
  if (f.discoveredAt !== undefined) p.discovered_at = new Date(f.discoveredAt);
  if (f.dataCategories !== undefined) p.data_categories = JSON.stringify([...new Set(f.dataCategories)]);
  if (f.affectedCount !== undefined) p.affected_count = f.affectedCount;
  if (f.affectedByRegion !== undefined) p.affected_by_region = JSON.stringify(f.affectedByRegion);
  if (f.encryption !== undefined) p.encryption = f.encryption;
  if (f.activeThreat !== undefined) p.active_threat = f.activeThreat;
  if (f.jurisdictions !== undefined) p.jurisdictions = JSON.stringify([...new Set(f.jurisdictions)]);
  if (f.riskAssessment !== undefined) p.risk_assessment = JSON.stringify(f.riskAssessment);
  if (f.mitigationSteps !== undefined) p.mitigation_steps = f.mitigationSteps;
  if (f.userActionsRequired !== undefined) p.user_actions_required = f.userActionsRequired;
  if (f.supportContact !== undefined) p.support_contact = f.supportContact;
  if (f.reportedToAuthorities !== undefined) p.reported_to_authorities = f.reportedToAuthorities;
  if (f.authorityReference !== undefined) p.authority_reference = f.authorityReference;
  if (f.usersNotified !== undefined) p.users_notified = f.usersNotified;
  if (f.notificationSentAt !== undefined) p.notification_sent_at = date(f.notificationSentAt);
  if (f.notificationMethod !== undefined) p.notification_method = f.notificationMethod;
  return p;
}

/** People affected: the largest of the declared count, the sum per region and the rows recorded. */
export function effectiveAffected(f: Pick<IncidentFacts, 'affectedCount' | 'affectedByRegion'>, rows: number): number {
  const byRegion = f.affectedByRegion.reduce((n, r) => n + r.count, 0);
  return Math.max(f.affectedCount ?? 0, byRegion, rows);
}

type Override = { severity: Severity; reason: string; by: ActorJson; at: string } | null;

/** Severity columns for the facts after a change: computed from the table; effective = override or computed. */
function severityColumns(f: IncidentFacts, rows: number, baseline: Severity | null, override: Override) {
  const { severity, reasons } = classifySeverity({ dataCategories: f.dataCategories, affected: effectiveAffected(f, rows), activeThreat: f.activeThreat, baseline });
  return { severity_computed: severity, severity_reasons: JSON.stringify(reasons), severity: override?.severity ?? severity };
}

/** The seed playbook as a template: what an org that set none gets. */
const DEFAULT_PLAYBOOK: PlaybookTemplateBodyV1['tasks'] = PLAYBOOK.map((p) => ({ phase: p.phase, title: p.title, dueAfterHours: p.dueHours }));

/** Category of an incident opened by a detection rule, from the rule family (`brute_force.ip` -> `brute_force`). */
function categoryOf(ruleId: string): string {
  return ruleId.split('.')[0] ?? ruleId;
}

/**
 * The incident lifecycle's commands. Each runs in one transaction that locks the incident row, checks
 * the change against the lifecycle and the facts, appends a hash-chained timeline entry (who, when,
 * what, before/after) and queues its `incident.*` event in the outbox: the change, its record and its
 * announcement commit together or not at all.
 */
@Injectable()
export class IncidentService {
  constructor(
    private readonly repo: IncidentRepository,
    @Inject(CONFIG) private readonly config: IncidentConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  private inTx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.repo.db.transaction().execute(fn);
  }

  private async locked(tx: Tx, orgId: string, ref: string): Promise<IncidentRow> {
    const row = await this.repo.lockForOrg(tx, orgId, ref);
    if (!row) throw notFound(ref);
    return row;
  }

  private static refuseClosed(row: IncidentRow, what: string): void {
    if (!isOpenStatus(row.status)) throw new CommandError({ error: 'conflict', detail: `${row.number} is ${row.status}: reopen it before you ${what}` });
  }

  /** Appends the change and queues its event, whose id derives from (incident, seq): a retry can't publish twice. */
  private async change<D extends EventDefinition>(
    tx: Tx,
    before: IncidentRow,
    entry: Omit<TimelineEntry, 'at'> & { at?: Date },
    patch: IncidentPatch,
    event: { def: D; data: (base: { incidentId: string; snapshot: ReturnType<typeof snapshotOf>; actor: ActorJson; at: string }) => EventData<D> },
  ): Promise<IncidentRow> {
    const at = entry.at ?? new Date();
    const { row, seq } = await this.repo.appendChange(tx, before, { ...entry, at }, patch);
    const base = { incidentId: row.id, snapshot: snapshotOf(row, seq), actor: entry.actor, at: at.toISOString() };
    await enqueueEvents(tx, [
      createEvent(event.def, { id: deriveId(event.def.type, row.id, String(seq)), orgid: row.org_id, source: SOURCE, subject: row.number, time: at, data: event.data(base) }),
    ]);
    return row;
  }

  // ---- create ----

  /**
   * With an idempotency key the incident's id derives from (org, key): a retried request (its answer
   * lost) finds the incident it created and returns it instead of opening a second one; the same key
   * with another title or discovery time is a conflict. Concurrent retries serialise on a lock of that id.
   */
  async create(orgId: string, actor: ActorJson, body: CreateIncidentBodyV1, idempotencyKey?: string): Promise<IncidentRow> {
    return this.inTx(async (tx) => {
      const id = idempotencyKey === undefined ? newId() : deriveId('incident.create', orgId, idempotencyKey);
      if (idempotencyKey !== undefined) {
        await sql`select pg_advisory_xact_lock(hashtextextended(${id}, 0))`.execute(tx);
        const earlier = await tx.selectFrom('incidents').selectAll().where('id', '=', id).where('org_id', '=', orgId).executeTakeFirst();
        if (earlier) {
          if (earlier.title !== body.title.trim() || earlier.discovered_at.getTime() !== new Date(body.discoveredAt).getTime()) {
            throw new CommandError({ error: 'conflict', detail: `Idempotency-Key already used for ${earlier.number}, with another title or discovery time`, errors: [{ pointer: '/title', message: 'differs from the incident this key created' }] });
          }
          return earlier;
        }
      }
      const now = new Date();
      const facts: IncidentFacts = { ...DEFAULT_FACTS, ...stripExtras(body) };
      const override: Override = body.severityOverride ? { ...body.severityOverride, by: actor, at: now.toISOString() } : null;
      const row = await this.insertIncident(tx, {
        orgId,
        id,
        now,
        facts,
        actor,
        drill: body.drill ?? false,
        assignee: body.assignee ?? null,
        override,
        detectedAt: new Date(body.discoveredAt),
        origin: { kind: 'manual' },
      });
      if (body.affectedPeople?.length) return this.addPeopleLocked(tx, row, actor, body.affectedPeople).then((r) => r.row);
      return row;
    });
  }

  private async insertIncident(
    tx: Tx,
    a: {
      orgId: string;
      id: string;
      now: Date;
      facts: IncidentFacts;
      actor: ActorJson;
      drill: boolean;
      assignee: string | null;
      override: Override;
      detectedAt: Date;
      origin: { kind: 'manual' } | { kind: 'detection'; d: DetectionTriggeredV1; lastSeen: Date };
    },
  ): Promise<IncidentRow> {
    const number = await this.repo.nextNumber(tx, a.orgId, a.now);
    const fromDetection = a.origin.kind === 'detection' ? a.origin.d : undefined;
    const baseline = fromDetection?.severity ?? null;
    const originJson = fromDetection
      ? { detectionId: fromDetection.detectionId, ruleId: fromDetection.ruleId, ...(fromDetection.evidence.ip ? { ip: fromDetection.evidence.ip } : {}), eventCount: fromDetection.count }
      : {};
    const inserted = await this.repo.insert(tx, {
      id: a.id,
      org_id: a.orgId,
      number,
      status: 'investigating',
      correlation_key: fromDetection?.correlationKey ?? null,
      detected_at: a.detectedAt,
      created_at: a.now,
      updated_at: a.now,
      origin: JSON.stringify(originJson),
      ...factColumns(a.facts),
      ...severityColumns(a.facts, 0, baseline, a.override),
      severity_baseline: baseline,
      severity_override: JSON.stringify(a.override),
      created_by: JSON.stringify(a.actor),
      assignee: a.assignee,
      drill: a.drill,
      origin_kind: a.origin.kind,
      trigger_count: fromDetection ? 1 : 0,
      last_seen_at: a.origin.kind === 'detection' ? a.origin.lastSeen : null,
      evidence_event_ids: JSON.stringify(fromDetection ? fromDetection.evidence.eventIds.slice(0, EVIDENCE_MAX) : []),
      // factColumns wrote every fact, since a.facts is complete.
    } as Insertable<IncidentsTable>);
    // The org's own template if it set one (read in this transaction: a template saved meanwhile applies to the next incident).
    const playbook = (await this.repo.playbookTemplate(a.orgId, tx))?.tasks ?? DEFAULT_PLAYBOOK;
    await this.repo.insertTasks(
      tx,
      playbook.map((p, position) => ({
        // By position: a template may hold several tasks of one phase.
        id: deriveId('incident-task', inserted.id, String(position)),
        incident_id: inserted.id,
        org_id: a.orgId,
        position,
        phase: p.phase,
        title: p.title,
        due_at: p.dueAfterHours === null ? null : new Date(inserted.discovered_at.getTime() + p.dueAfterHours * HOUR),
        due_after_hours: p.dueAfterHours,
        assignee: null,
      })),
    );
    const { row } = await this.repo.appendChange(
      tx,
      inserted,
      {
        kind: 'incident.created',
        actor: a.actor,
        at: a.now,
        detail: { status: 'investigating', severity: inserted.severity, ...(fromDetection ? { detectionId: fromDetection.detectionId } : { facts: a.facts, drill: a.drill }) },
      },
      {},
    );
    await enqueueEvents(tx, [
      createEvent(incidentCreatedV1, {
        id: deriveId('incident.created', row.id),
        orgid: a.orgId,
        source: SOURCE,
        subject: number,
        time: a.now,
        data: {
          incidentId: row.id,
          number,
          title: row.title,
          description: row.description.slice(0, 4000),
          category: row.category,
          severity: row.severity,
          status: row.status,
          correlationKey: row.correlation_key,
          detectedAt: row.detected_at.toISOString(),
          createdAt: row.created_at.toISOString(),
          ...(row.drill ? { drill: true } : {}),
          origin: originJson,
        },
      }),
    ]);
    this.log.info({ orgId: a.orgId, incident: number, origin: a.origin.kind }, 'incident created');
    return row;
  }

  // ---- detections ----

  /**
   * One attack = one incident: a detection whose correlation key has a not-closed incident that saw
   * the attack within the quiet period merges into it (trigger count, last seen, evidence); otherwise
   * it opens a new numbered incident. Runs in the inbox transaction of the detection event.
   */
  async onDetection(tx: Tx, orgId: string, d: DetectionTriggeredV1): Promise<void> {
    await this.repo.lockCorrelation(tx, orgId, d.correlationKey);
    const lastSeen = lastSeenOf(d);
    const open = await this.repo.findOpenByCorrelation(tx, orgId, d.correlationKey);
    const quietMs = this.config.INCIDENT_MERGE_QUIET_HOURS * HOUR;
    if (open && open.last_seen_at !== null && new Date(d.windowStart).getTime() - open.last_seen_at.getTime() <= quietMs) {
      if (!(await this.repo.linkDetection(tx, orgId, d.detectionId, open.id))) return;
      const evidence = [...new Set([...d.evidence.eventIds, ...open.evidence_event_ids])].slice(0, EVIDENCE_MAX);
      const baseline = open.severity_baseline ? maxSeverity(open.severity_baseline, d.severity) : d.severity;
      const triggerCount = open.trigger_count + 1;
      const seen = open.last_seen_at.getTime() > lastSeen.getTime() ? open.last_seen_at : lastSeen;
      const override = open.severity_override;
      await this.change(
        tx,
        open,
        { kind: 'detection.merged', actor: SERVICE_ACTOR, detail: { detectionId: d.detectionId, ruleId: d.ruleId, count: d.count, triggerCount, lastSeenAt: seen.toISOString() } },
        {
          trigger_count: triggerCount,
          last_seen_at: seen,
          evidence_event_ids: JSON.stringify(evidence),
          severity_baseline: baseline,
          ...severityColumns(factsOf(open), Number(open.affected_people_rows), baseline, override),
        },
        { def: incidentDetectionMergedV1, data: (b) => ({ ...b, detectionId: d.detectionId, ruleId: d.ruleId, triggerCount, lastSeenAt: seen.toISOString() }) },
      );
      this.log.info({ orgId, incident: open.number, detectionId: d.detectionId, triggerCount }, 'detection merged into open incident');
      return;
    }
    const detectedAt = new Date(d.windowEnd);
    const facts: IncidentFacts = { ...DEFAULT_FACTS, title: d.title, description: d.summary, category: categoryOf(d.ruleId), discoveredAt: detectedAt.toISOString() };
    const id = deriveId('incident', orgId, d.detectionId);
    await this.insertIncident(tx, { orgId, id, now: new Date(), facts, actor: SERVICE_ACTOR, drill: false, assignee: null, override: null, detectedAt, origin: { kind: 'detection', d, lastSeen } });
    await this.repo.linkDetection(tx, orgId, d.detectionId, id);
  }

  // ---- commands ----

  async update(orgId: string, actor: ActorJson, ref: string, body: UpdateIncidentBodyV1): Promise<IncidentRow> {
    return this.inTx(async (tx) => {
      const before = await this.locked(tx, orgId, ref);
      IncidentService.refuseClosed(before, 'change its facts');
      const { severityOverride, ...factChanges } = body;
      const old = factsOf(before);
      const changes: Record<string, { before: unknown; after: unknown }> = {};
      for (const [k, v] of Object.entries(factChanges) as [keyof IncidentFacts, unknown][]) {
        if (canonicalJson(old[k]) !== canonicalJson(v)) changes[k] = { before: old[k], after: v };
      }
      const now = new Date();
      let override: Override = before.severity_override;
      if (severityOverride !== undefined && canonicalJson(severityOverride) !== canonicalJson(override && { severity: override.severity, reason: override.reason })) {
        override = severityOverride && { ...severityOverride, by: actor, at: now.toISOString() };
        changes.severityOverride = { before: before.severity_override, after: override };
      }
      if (!Object.keys(changes).length) return before;
      const facts: IncidentFacts = { ...old, ...(factChanges as Partial<IncidentFacts>) };
      const severity = severityColumns(facts, Number(before.affected_people_rows), before.severity_baseline, override);
      if (severity.severity !== before.severity) changes.severity = { before: before.severity, after: severity.severity };
      if (changes.discoveredAt) await this.repo.shiftOpenTaskDeadlines(tx, before.id, new Date(facts.discoveredAt));
      return this.change(
        tx,
        before,
        { kind: 'incident.updated', actor, at: now, detail: { changes } },
        { ...factColumns(factChanges as Partial<IncidentFacts>), ...severity, severity_override: JSON.stringify(override) },
        { def: incidentUpdatedV1, data: (b) => ({ ...b, fields: Object.keys(changes), severityBefore: before.severity }) },
      );
    });
  }

  async transition(orgId: string, actor: ActorJson, ref: string, body: TransitionBodyV1): Promise<IncidentRow> {
    return this.inTx(async (tx) => {
      const before = await this.locked(tx, orgId, ref);
      const rule = findTransition(before.status, body.to);
      if (!rule) {
        const allowed = INCIDENT_TRANSITIONS.filter((t) => t.from === before.status).map((t) => t.to);
        throw new CommandError({
          error: 'conflict',
          detail: `${before.number} is ${before.status}: it cannot go to ${body.to} (allowed: ${allowed.join(', ')})`,
          errors: [{ pointer: '/to', message: `not allowed from ${before.status}` }],
        });
      }
      if (rule.requiresReason && !body.reason) {
        throw new CommandError({ error: 'unprocessable', detail: `reopening ${before.number} needs a reason`, errors: [{ pointer: '/reason', message: 'required to reopen' }] });
      }
      for (const field of ['lessonsLearned', 'postMortem'] as const) {
        if (body[field] !== undefined && body.to !== 'closed') {
          throw new CommandError({ error: 'unprocessable', detail: `${field} is recorded when the incident is closed`, errors: [{ pointer: `/${field}`, message: 'only when closing' }] });
        }
      }
      if (rule.requiresLessonsLearned && !body.lessonsLearned && !before.lessons_learned) {
        throw new CommandError({ error: 'unprocessable', detail: `closing ${before.number} needs the lessons learned`, errors: [{ pointer: '/lessonsLearned', message: 'required to close' }] });
      }
      const now = new Date();
      const stamp = STATUS_TIMESTAMP[body.to];
      const column = ({ containedAt: 'contained_at', resolvedAt: 'resolved_at', closedAt: 'closed_at', reopenedAt: 'reopened_at' } as const)[stamp];
      const patch: IncidentPatch = { status: body.to, [column]: now };
      if (body.lessonsLearned) patch.lessons_learned = body.lessonsLearned;
      if (body.postMortem) patch.post_mortem = body.postMortem;
      return this.change(
        tx,
        before,
        { kind: 'incident.status_changed', actor, at: now, detail: { from: before.status, to: body.to, kind: rule.kind, ...(body.reason ? { reason: body.reason } : {}), ...(body.lessonsLearned ? { lessonsLearned: body.lessonsLearned } : {}) } },
        patch,
        { def: incidentStatusChangedV1, data: (b) => ({ ...b, from: before.status, to: body.to, kind: rule.kind, ...(body.reason ? { reason: body.reason } : {}) }) },
      );
    });
  }

  async assign(orgId: string, actor: ActorJson, ref: string, assignee: string | null): Promise<IncidentRow> {
    return this.inTx(async (tx) => {
      const before = await this.locked(tx, orgId, ref);
      IncidentService.refuseClosed(before, 'assign it');
      if (before.assignee === assignee) return before;
      return this.change(
        tx,
        before,
        { kind: 'incident.assigned', actor, detail: { before: before.assignee, after: assignee } },
        { assignee },
        { def: incidentAssignedV1, data: (b) => ({ ...b, assignee, previous: before.assignee }) },
      );
    });
  }

  async note(orgId: string, actor: ActorJson, ref: string, text: string): Promise<IncidentRow> {
    return this.inTx(async (tx) => {
      const before = await this.locked(tx, orgId, ref);
      return this.change(tx, before, { kind: 'note', actor, detail: { text } }, {}, { def: incidentNoteAddedV1, data: (b) => ({ ...b, text }) });
    });
  }

  async addAffectedPeople(orgId: string, actor: ActorJson, ref: string, people: readonly AffectedPersonInput[]) {
    return this.inTx(async (tx) => {
      const before = await this.locked(tx, orgId, ref);
      IncidentService.refuseClosed(before, 'add affected people');
      return this.addPeopleLocked(tx, before, actor, people);
    });
  }

  private async addPeopleLocked(tx: Tx, before: IncidentRow, actor: ActorJson, people: readonly AffectedPersonInput[]) {
    const added = await this.repo.addAffectedPeople(tx, before, people);
    const duplicates = people.length - added;
    const total = Number(before.affected_people_rows) + added;
    if (added === 0) return { row: before, added, duplicates, total };
    const severity = severityColumns(factsOf(before), total, before.severity_baseline, before.severity_override);
    const row = await this.change(
      tx,
      before,
      { kind: 'affected_people.added', actor, detail: { added, duplicates, total, ...(severity.severity !== before.severity ? { severity: { before: before.severity, after: severity.severity } } : {}) } },
      { affected_people_rows: total, ...severity },
      { def: incidentAffectedPeopleAddedV1, data: (b) => ({ ...b, added, total }) },
    );
    return { row, added, duplicates, total };
  }

  async updateTask(orgId: string, actor: ActorJson, ref: string, taskId: string, body: { assignee?: string | null | undefined; completed?: boolean | undefined }): Promise<IncidentRow> {
    return this.inTx(async (tx) => {
      const before = await this.locked(tx, orgId, ref);
      IncidentService.refuseClosed(before, 'change its tasks');
      const task = await this.repo.lockTask(tx, before.id, taskId);
      if (!task) throw new CommandError({ error: 'not-found', detail: `no task ${taskId} in ${before.number}` });
      const now = new Date();
      const assignee = body.assignee === undefined ? task.assignee : body.assignee;
      const completed = body.completed === undefined ? task.completed_at !== null : body.completed;
      if (assignee === task.assignee && completed === (task.completed_at !== null)) return before;
      await this.repo.updateTask(tx, task.id, {
        assignee,
        ...(completed !== (task.completed_at !== null) ? { completed_at: completed ? now : null, completed_by: JSON.stringify(completed ? actor : null) } : {}),
      });
      return this.change(
        tx,
        before,
        { kind: 'task.updated', actor, at: now, detail: { taskId, phase: task.phase, before: { assignee: task.assignee, completed: task.completed_at !== null }, after: { assignee, completed } } },
        {},
        { def: incidentTaskUpdatedV1, data: (b) => ({ ...b, taskId, phase: task.phase, assignee, completed }) },
      );
    });
  }

  /**
   * A request to notify the affected people: everyone recorded, or the chosen subjects (each must be
   * recorded). Every request gets its own id; one pending does not block another.
   */
  async requestNotification(orgId: string, actor: ActorJson, ref: string, body: NotificationRequestBodyV1): Promise<NotificationRequestViewV1> {
    return this.inTx(async (tx) => {
      const before = await this.locked(tx, orgId, ref);
      IncidentService.refuseClosed(before, 'request notifications');
      let count = Number(before.affected_people_rows);
      const subjectIds = body.subjectIds && [...new Set(body.subjectIds)];
      if (body.subjectIds && subjectIds) {
        const unknown = await this.repo.unknownSubjects(tx, before.id, subjectIds);
        if (unknown.size) {
          const errors = body.subjectIds.flatMap((id, i) => (unknown.has(id) ? [{ pointer: `/subjectIds/${i}`, message: 'not an affected person of this incident' }] : [])).slice(0, 50);
          throw new CommandError({ error: 'unprocessable', detail: `${unknown.size} of the subjectIds are not recorded as affected people of ${before.number}`, errors });
        }
        count = subjectIds.length;
      } else if (count === 0) {
        throw new CommandError({ error: 'conflict', detail: `${before.number} has no affected people recorded: add them before you request their notification` });
      }
      const now = new Date();
      const requestId = newId();
      const message = body.message ?? null;
      const allPeople = subjectIds === undefined;
      const row = await this.change(
        tx,
        before,
        { kind: 'notification.requested', actor, at: now, detail: { requestId, channel: body.channel, count, allPeople, message, ...(subjectIds ? { subjectIds } : {}) } },
        {},
        {
          def: incidentNotificationRequestedV1,
          data: (b) => ({ ...b, requestId, number: before.number, requestedBy: actor, channel: body.channel, message, count, allPeople, drill: before.drill }),
        },
      );
      this.log.info({ orgId, incident: row.number, requestId, count, drill: row.drill }, 'notification of affected people requested');
      return { id: requestId, incidentId: row.id, number: row.number, channel: body.channel, message, count, allPeople, drill: row.drill, requestedAt: now.toISOString(), requestedBy: actor };
    });
  }

  async playbookTemplate(orgId: string) {
    const saved = await this.repo.playbookTemplate(orgId);
    return saved ? { tasks: saved.tasks, custom: true, updatedAt: saved.updated_at.toISOString() } : { tasks: DEFAULT_PLAYBOOK, custom: false, updatedAt: null };
  }

  /** Replaces the org's template; incidents already open keep the tasks they started with. */
  async setPlaybookTemplate(orgId: string, actor: ActorJson, body: PlaybookTemplateBodyV1) {
    const saved = await this.repo.savePlaybookTemplate(orgId, body.tasks, actor);
    this.log.info({ orgId, tasks: body.tasks.length }, 'playbook template saved');
    return { tasks: saved.tasks, custom: true, updatedAt: saved.updated_at.toISOString() };
  }
}

/** The facts of a create body (without the fields that aren't facts). */
function stripExtras(body: CreateIncidentBodyV1): Omit<CreateIncidentBodyV1, 'drill' | 'assignee' | 'severityOverride' | 'affectedPeople'> {
  const { drill: _drill, assignee: _assignee, severityOverride: _override, affectedPeople: _people, ...facts } = body;
  return facts;
}

/** When the attack was last seen: the detection's `lastSeen` if it carries one (newer detection contracts may), else its window end. */
function lastSeenOf(d: DetectionTriggeredV1): Date {
  const extra = (d as { lastSeen?: unknown }).lastSeen;
  return typeof extra === 'string' && !Number.isNaN(Date.parse(extra)) ? new Date(extra) : new Date(d.windowEnd);
}
