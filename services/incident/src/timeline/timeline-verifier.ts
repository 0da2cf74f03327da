import { Injectable } from '@nestjs/common';
import type { TimelineVerificationV1 } from '@vigil/contracts';
import { IncidentRepository } from '../incidents/incident.repository';
import { TIMELINE_GENESIS, timelineHash } from './timeline-chain';

const PAGE = 1000;

/**
 * Recomputes an incident's timeline chain page by page and names the first entry that fails, the way
 * ingest verifies its store: altered (its hash is not its content's), reordered (it links to another
 * stored entry), removed (it links to a hash no entry has, or the head on the incident names a later
 * entry than the last one stored).
 */
@Injectable()
export class TimelineVerifier {
  constructor(private readonly repo: IncidentRepository) {}

  async verify(orgId: string, ref: string): Promise<TimelineVerificationV1 | undefined> {
    const found = await this.repo.findForOrg(orgId, ref);
    if (!found) return undefined;
    const { incident } = found;
    let prev: Buffer = TIMELINE_GENESIS;
    let lastSeq = 0;
    let checked = 0;
    const broken = (seq: number, reason: 'altered' | 'removed' | 'reordered'): TimelineVerificationV1 => ({ intact: false, checked, firstBrokenSeq: seq, reason });
    for (;;) {
      const rows = await this.repo.timelinePage(incident.id, lastSeq, PAGE);
      for (const r of rows) {
        checked += 1;
        const own = timelineHash(r.prev_hash, { incidentId: incident.id, orgId: r.org_id, seq: r.seq, at: r.at.toISOString(), kind: r.kind, actor: r.actor, detail: r.detail });
        if (!own.equals(r.hash)) return broken(r.seq, 'altered');
        if (!r.prev_hash.equals(prev)) return broken(r.seq, (await this.repo.hasTimelineHash(incident.id, r.prev_hash)) ? 'reordered' : 'removed');
        prev = r.hash;
        lastSeq = r.seq;
      }
      if (rows.length < PAGE) break;
    }
    const head = incident.timeline_head ?? TIMELINE_GENESIS;
    if (!head.equals(prev)) return broken(incident.timeline_seq > lastSeq ? incident.timeline_seq : Math.max(lastSeq, 1), incident.timeline_seq > lastSeq ? 'removed' : 'altered');
    return { intact: true, checked };
  }
}
