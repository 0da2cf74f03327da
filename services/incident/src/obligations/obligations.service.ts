import { Inject, Injectable } from '@nestjs/common';
import type { Transaction } from 'kysely';
import {
  OPEN_INCIDENT_STATUSES,
  orgFlagSchema,
  type ComplianceProfileBodyV1,
  type ComplianceProfileV1,
  type IncidentObligationsV1,
  type ObligationReportRequestV1,
  type OrgFlag,
  type Regime,
  type RegimeDataCategory,
} from '@vigil/contracts';
import { enqueueEvents } from '@vigil/messaging';
import { CONFIG } from '@vigil/platform';
import type { IncidentConfig } from '../config';
import type { ActorJson, IncidentDatabase } from '../db/schema';
import { IncidentRepository, type IncidentRow } from '../incidents/incident.repository';
import { CommandError } from '../incidents/incident.service';
import { dueDeadlineEvents } from './deadline-monitor';
import { recommend } from './guidance';
import { computeObligations, type ObligationFacts } from './obligations.engine';
import { obligationReportProblems } from './obligation-report';
import { loadRegimeTable } from './regime-table';

type Tx = Transaction<IncidentDatabase>;

/** The incident's data categories in the words the regimes' triggers use. */
const REGIME_CATEGORY: Record<string, RegimeDataCategory> = {
  name: 'name',
  email: 'contact',
  phone: 'contact',
  postal_address: 'contact',
  location: 'location',
  credentials: 'credentials',
  government_id: 'government_id',
  payment_card: 'payment_card',
  bank_account: 'financial',
  health: 'health',
  biometric: 'biometric',
  genetic: 'genetic',
  racial_ethnic_origin: 'special_category',
  political_opinion: 'special_category',
  religious_belief: 'special_category',
  trade_union: 'special_category',
  sex_life: 'special_category',
  criminal_record: 'special_category',
  children: 'minors',
};

const NO_FLAGS = Object.fromEntries(orgFlagSchema.options.map((f) => [f, false])) as Record<OrgFlag, boolean>;

/**
 * Obligations of real incidents: their facts (as recorded by the lifecycle), the organisation's
 * compliance profile and the reports made, through the pure engine in this folder.
 */
@Injectable()
export class ObligationsService {
  readonly regimes: Regime[];
  readonly warningHours: readonly number[];

  constructor(
    private readonly repo: IncidentRepository,
    @Inject(CONFIG) config: IncidentConfig,
  ) {
    // A bad override file stops the service at start, with every problem named (RegimeTableError).
    this.regimes = loadRegimeTable(config.VIGIL_REGIMES_FILE);
    this.warningHours = config.VIGIL_DEADLINE_WARNING_HOURS;
  }

  private get db() {
    return this.repo.db;
  }

  async profile(orgId: string, db: Tx | IncidentRepository['db'] = this.db): Promise<ComplianceProfileV1> {
    const row = await db.selectFrom('org_compliance_profiles').select('flags').where('org_id', '=', orgId).executeTakeFirst();
    return { flags: { ...NO_FLAGS, ...(row?.flags ?? {}) } };
  }

  async setProfile(orgId: string, body: ComplianceProfileBodyV1): Promise<ComplianceProfileV1> {
    return this.db.transaction().execute(async (tx) => {
      const current = await this.profile(orgId, tx);
      const flags = { ...current.flags, ...Object.fromEntries(Object.entries(body.flags).filter(([, v]) => v !== undefined)) };
      await tx
        .insertInto('org_compliance_profiles')
        .values({ org_id: orgId, flags: JSON.stringify(flags) })
        .onConflict((oc) => oc.column('org_id').doUpdateSet({ flags: JSON.stringify(flags), updated_at: new Date() }))
        .execute();
      return { flags };
    });
  }

  /** The incident's obligations now; null when the org has no such incident. */
  async forIncident(orgId: string, ref: string, now = new Date()): Promise<IncidentObligationsV1 | null> {
    const found = await this.repo.findForOrg(orgId, ref);
    if (!found) return null;
    return this.compute(this.db, found.incident, now);
  }

  private async compute(db: Tx | IncidentRepository['db'], incident: IncidentRow, now: Date): Promise<IncidentObligationsV1> {
    const facts = await this.facts(db, incident);
    const obligations = computeObligations(facts, this.regimes, now);
    const origin = incident.origin as { ruleId?: unknown; sourceType?: unknown };
    const affected = Math.max(Number(incident.affected_count ?? 0), Number(incident.affected_people_rows), ...facts.affected.map((a) => a.count), 0);
    const recommendation = recommend(
      {
        drill: incident.drill,
        dataCategories: incident.data_categories,
        affected,
        encryption: incident.encryption,
        activeThreat: incident.active_threat,
        exfiltrated: (incident.risk_assessment as { exfiltrated?: boolean } | null)?.exfiltrated === true,
        ruleId: typeof origin.ruleId === 'string' ? origin.ruleId : null,
        sourceType: typeof origin.sourceType === 'string' ? origin.sourceType : null,
      },
      obligations,
    );
    return { incidentId: incident.id, drill: incident.drill, computedAt: now.toISOString(), obligations, recommendation };
  }

  /** What the engine reads, from the incident row, its affected people, the org profile and the reports. */
  private async facts(db: Tx | IncidentRepository['db'], incident: IncidentRow): Promise<ObligationFacts> {
    const [people, reports, profile] = await Promise.all([
      db
        .selectFrom('incident_affected_people')
        .select(['country', 'region', (eb) => eb.fn.countAll<string>().as('n')])
        .where('incident_id', '=', incident.id)
        .groupBy(['country', 'region'])
        .execute(),
      db.selectFrom('obligation_reports').selectAll().where('incident_id', '=', incident.id).execute(),
      this.profile(incident.org_id, db),
    ]);
    // People per jurisdiction: the larger of what was declared and the rows added, per country/region.
    const counts = new Map<string, { country: string; region: string | null; count: number }>();
    const add = (country: string | null | undefined, region: string | null | undefined, count: number) => {
      if (!country) return;
      const sub = region ? region.replace(/^[A-Z]{2}-/, '') : null;
      const key = `${country}|${sub ?? ''}`;
      const seen = counts.get(key);
      if (!seen || seen.count < count) counts.set(key, { country, region: sub, count });
    };
    for (const d of incident.affected_by_region) add(d.country, d.region, d.count);
    for (const p of people) add(p.country, p.region, Number(p.n));
    const categories = [...new Set(incident.data_categories.map((c) => REGIME_CATEGORY[c] ?? 'other'))];
    const discovered = incident.discovered_at.toISOString();
    return {
      drill: incident.drill,
      // The lifecycle records one moment of awareness: GDPR's "aware" and HIPAA's "discovery" alike.
      awareAt: discovered,
      discoveredAt: discovered,
      assessmentCompletedAt: null,
      ransomPaidAt: null,
      affected: [...counts.values()],
      dataCategories: categories,
      encryption: incident.encryption === 'encrypted_key_compromised' ? 'key_compromised' : incident.encryption,
      risk: riskOf(incident),
      determinations: [],
      org: profile.flags,
      reports: reports.map((r) => ({ ruleId: r.rule_id, reportedAt: r.reported_at.toISOString(), reference: r.reference, reasonsForDelay: r.reasons_for_delay })),
    };
  }

  /**
   * Records a report made under one rule (the authority notified, with its case reference): checked
   * against the obligation as it stands (a late GDPR Art. 33 report needs its reasons for delay), kept
   * once per rule, and written to the incident's hash-chained timeline in the same transaction.
   */
  async recordReport(orgId: string, ref: string, actor: ActorJson, body: ObligationReportRequestV1, now = new Date()): Promise<IncidentObligationsV1> {
    return this.db.transaction().execute(async (tx) => {
      const incident = await this.repo.lockForOrg(tx, orgId, ref);
      if (!incident) throw new CommandError({ error: 'not-found', detail: `no incident ${ref} in this organisation` });
      const before = await this.compute(tx, incident, now);
      const obligation = before.obligations.find((o) => o.ruleId === body.ruleId);
      const problems = obligationReportProblems(obligation, body);
      if (problems.length) throw new CommandError({ error: 'unprocessable', detail: 'the report does not fit this obligation', errors: problems });
      const inserted = await tx
        .insertInto('obligation_reports')
        .values({ incident_id: incident.id, org_id: orgId, rule_id: body.ruleId, reported_at: new Date(body.reportedAt), reference: body.reference, reasons_for_delay: body.reasonsForDelay ?? null, recorded_by: JSON.stringify(actor) })
        .onConflict((oc) => oc.columns(['incident_id', 'rule_id']).doNothing())
        .returning('rule_id')
        .executeTakeFirst();
      if (!inserted) throw new CommandError({ error: 'conflict', detail: `a report under ${body.ruleId} is already recorded`, errors: [{ pointer: '/ruleId', message: 'already reported' }] });
      const authority = obligation?.audience === 'authority';
      await this.repo.appendChange(
        tx,
        incident,
        { kind: 'obligation.reported', actor, at: now, detail: { ruleId: body.ruleId, regimeId: obligation?.regimeId, reportedAt: body.reportedAt, reference: body.reference, late: obligation?.due ? new Date(body.reportedAt) > new Date(obligation.due) : false, reasonsForDelay: body.reasonsForDelay ?? null } },
        authority ? { reported_to_authorities: true, authority_reference: body.reference.slice(0, 100) } : {},
      );
      const fresh = await tx.selectFrom('incidents').selectAll().where('id', '=', incident.id).executeTakeFirstOrThrow();
      return this.compute(tx, fresh, now);
    });
  }

  /**
   * One monitor pass over open incidents (drills have no obligations): queues the deadline warnings and
   * misses due now. deadline_notices is keyed by the events' deterministic ids, so a notice is queued
   * once however many passes, replicas or restarts see it. Returns how many were queued.
   */
  async monitorPass(now = new Date(), pageSize = 200): Promise<number> {
    let queued = 0;
    let after: string | undefined;
    for (;;) {
      let q = this.db.selectFrom('incidents').selectAll().where('status', 'in', [...OPEN_INCIDENT_STATUSES]).where('drill', '=', false);
      if (after) q = q.where('id', '>', after);
      const page = await q.orderBy('id').limit(pageSize).execute();
      for (const incident of page) {
        const { obligations } = await this.compute(this.db, incident, now);
        const events = dueDeadlineEvents({ id: incident.id, orgId: incident.org_id }, obligations, now, this.warningHours);
        if (!events.length) continue;
        queued += await this.db.transaction().execute(async (tx) => {
          const fresh = await tx
            .insertInto('deadline_notices')
            .values(events.map((e) => ({ event_id: e.id, incident_id: incident.id, org_id: incident.org_id, kind: e.type, rule_id: e.subject ?? '' })))
            .onConflict((oc) => oc.column('event_id').doNothing())
            .returning('event_id')
            .execute();
          const ids = new Set(fresh.map((r) => r.event_id));
          await enqueueEvents(tx, events.filter((e) => ids.has(e.id)));
          return ids.size;
        });
      }
      if (page.length < pageSize) return queued;
      after = page[page.length - 1]!.id;
    }
  }
}

/** The regimes' risk scale from the recorded assessment, else from severity. */
function riskOf(incident: IncidentRow): ObligationFacts['risk'] {
  const a = incident.risk_assessment as { likelihood?: string; impact?: string } | null;
  if (a?.likelihood && a.impact) {
    if (a.likelihood === 'high' || a.impact === 'high') return 'high';
    if (a.likelihood === 'low' && a.impact === 'low') return 'unlikely';
    return 'risk';
  }
  if (incident.severity === 'critical' || incident.severity === 'high') return 'high';
  return incident.severity === 'medium' ? 'risk' : 'unlikely';
}
