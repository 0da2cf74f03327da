import { Inject, Injectable } from '@nestjs/common';
import type { Transaction } from 'kysely';
import { DATABASE } from '@vigil/platform';
import type { Database } from '@vigil/db';
import type { IncidentRecordsTable, ReportingDatabase } from '../db/schema';

type NewRecord = Omit<IncidentRecordsTable, 'recorded_at'>;

/** The only code that touches reporting's tables. */
@Injectable()
export class IncidentRecordRepository {
  constructor(@Inject(DATABASE) private readonly database: Database<ReportingDatabase>) {}

  get db() {
    return this.database.db;
  }

  async upsert(tx: Transaction<ReportingDatabase>, record: NewRecord): Promise<void> {
    await tx
      .insertInto('incident_records')
      .values(record)
      .onConflict((oc) => oc.column('incident_id').doNothing())
      .execute();
  }

  /** One org's incidents opened in [from, to), newest first. */
  async openedBetween(orgId: string, from: Date, to: Date) {
    return this.db
      .selectFrom('incident_records')
      .select(['incident_id', 'number', 'title', 'category', 'severity', 'status', 'detected_at', 'opened_at'])
      .where('org_id', '=', orgId)
      .where('opened_at', '>=', from)
      .where('opened_at', '<', to)
      .orderBy('opened_at', 'desc')
      .execute();
  }
}
