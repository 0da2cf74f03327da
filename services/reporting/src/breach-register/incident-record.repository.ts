import { Inject, Injectable } from '@nestjs/common';
import { sql, type Insertable, type Transaction } from 'kysely';
import { DATABASE } from '@vigil/platform';
import type { Database } from '@vigil/db';
import type { IncidentRecordsTable, ReportingDatabase } from '../db/schema';

type NewRecord = Insertable<IncidentRecordsTable> & { seq: number; drill: boolean };

/** The only code that touches reporting's tables. */
@Injectable()
export class IncidentRecordRepository {
  constructor(@Inject(DATABASE) private readonly database: Database<ReportingDatabase>) {}

  get db() {
    return this.database.db;
  }

  /**
   * Keeps the newest snapshot of an incident: events of different types come through different
   * durables, so a change may arrive before the creation, or an older change after a newer one.
   */
  async upsert(tx: Transaction<ReportingDatabase>, record: NewRecord): Promise<void> {
    await tx
      .insertInto('incident_records')
      .values(record)
      .onConflict((oc) =>
        oc
          .column('incident_id')
          .doUpdateSet({
            title: (eb) => eb.ref('excluded.title'),
            category: (eb) => eb.ref('excluded.category'),
            severity: (eb) => eb.ref('excluded.severity'),
            status: (eb) => eb.ref('excluded.status'),
            drill: (eb) => eb.ref('excluded.drill'),
            seq: (eb) => eb.ref('excluded.seq'),
          })
          .where(sql<boolean>`excluded.seq > incident_records.seq`),
      )
      .execute();
  }

  /** One org's incidents opened in [from, to), newest first; drills are exercises, not breaches. */
  async openedBetween(orgId: string, from: Date, to: Date) {
    return this.db
      .selectFrom('incident_records')
      .select(['incident_id', 'number', 'title', 'category', 'severity', 'status', 'detected_at', 'opened_at'])
      .where('org_id', '=', orgId)
      .where('drill', '=', false)
      .where('opened_at', '>=', from)
      .where('opened_at', '<', to)
      .orderBy('opened_at', 'desc')
      .execute();
  }
}
