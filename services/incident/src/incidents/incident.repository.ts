import { Inject, Injectable } from '@nestjs/common';
import { sql, type Transaction } from 'kysely';
import { DATABASE } from '@vigil/platform';
import type { Database } from '@vigil/db';
import type { IncidentDatabase, IncidentsTable } from '../db/schema';
import { formatIncidentNumber, utcDay } from './incident-number';

type Tx = Transaction<IncidentDatabase>;
export type NewIncident = Omit<IncidentsTable, 'number' | 'created_at' | 'updated_at'>;

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

  async findOpenByCorrelation(tx: Tx, orgId: string, key: string) {
    return tx
      .selectFrom('incidents')
      .select(['id', 'number'])
      .where('org_id', '=', orgId)
      .where('correlation_key', '=', key)
      .where('status', 'in', ['investigating', 'contained'])
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

  async insert(tx: Tx, incident: NewIncident & { number: string; created_at: Date }): Promise<void> {
    await tx
      .insertInto('incidents')
      .values({ ...incident, origin: JSON.stringify(incident.origin), updated_at: incident.created_at })
      .execute();
  }

  async addTimeline(tx: Tx, entry: { incident_id: string; org_id: string; at: Date; kind: string; detail: unknown }): Promise<void> {
    await tx
      .insertInto('incident_timeline')
      .values({ ...entry, detail: JSON.stringify(entry.detail) })
      .execute();
  }

  async linkDetection(tx: Tx, orgId: string, detectionId: string, incidentId: string): Promise<boolean> {
    const r = await tx
      .insertInto('incident_detections')
      .values({ org_id: orgId, detection_id: detectionId, incident_id: incidentId })
      .onConflict((oc) => oc.columns(['org_id', 'detection_id']).doNothing())
      .executeTakeFirst();
    return Number(r.numInsertedOrUpdatedRows ?? 0n) > 0;
  }

  /** One incident of one org, by id or number; another org's incident is indistinguishable from none. */
  async findForOrg(orgId: string, ref: string) {
    const isUuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(ref);
    const incident = await this.db
      .selectFrom('incidents')
      .selectAll()
      .where('org_id', '=', orgId)
      .where(isUuid ? 'id' : 'number', '=', ref)
      .executeTakeFirst();
    if (!incident) return undefined;
    const [timeline, detections] = await Promise.all([
      this.db.selectFrom('incident_timeline').select(['at', 'kind', 'detail']).where('incident_id', '=', incident.id).orderBy('at').orderBy('id').execute(),
      this.db
        .selectFrom('incident_detections')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .where('incident_id', '=', incident.id)
        .executeTakeFirstOrThrow(),
    ]);
    return { incident, timeline, detectionCount: Number(detections.n) };
  }
}
