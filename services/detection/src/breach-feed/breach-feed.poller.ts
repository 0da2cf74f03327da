import type { Selectable } from 'kysely';
import type { Logger } from 'pino';
import { createEvent, credentialExposedV1, deriveId, ingestSubmittedSubject } from '@vigil/contracts';
import { enqueueEvents } from '@vigil/messaging';
import type { WatchlistTable } from '../decisions/tables';
import type { HibpBreach, HibpClient } from './hibp.client';
import { credentialExposedData } from './mapping';
import type { WatchlistRepository } from './watchlist.repository';

export const BREACH_FEED_SOURCE = 'vigil://detection/breach-feed';

export interface PollResult {
  entries: number;
  /** New (identity, breach) pairs, each one credential.exposed. */
  reported: number;
  /** Entries whose lookup failed (left for the next poll). */
  failed: number;
}

interface Exposure {
  identity: string;
  breach: HibpBreach;
}

/**
 * One pass over every org's watchlist. Each new (identity, breach) pair is recorded in
 * `breach_exposures` and queued as credential.exposed for `ingest.submitted.<org>` in the same
 * transaction, with an id derived from the pair: a repeated poll, a restart or a second replica finds
 * the row and reports nothing, and a relay retry republishes the same id (dropped by JetStream/ingest).
 */
export class BreachFeedPoller {
  private stopped = false;

  constructor(
    private readonly watchlist: WatchlistRepository,
    private readonly client: HibpClient,
    private readonly log: Logger,
  ) {}

  stop(): void {
    this.stopped = true;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  async pollOnce(): Promise<PollResult> {
    const entries = await this.watchlist.allEntries();
    const result: PollResult = { entries: entries.length, reported: 0, failed: 0 };
    // A domain search answers breach names only: their details come from the catalog, fetched once a poll.
    let catalog: Map<string, HibpBreach> | undefined;
    for (const entry of entries) {
      if (this.stopped) break;
      try {
        let exposures: Exposure[];
        if (entry.kind === 'email') {
          exposures = (await this.client.breachedAccount(entry.value)).map((breach) => ({ identity: entry.value, breach }));
        } else {
          const byAlias = await this.client.breachedDomain(entry.value);
          if (Object.keys(byAlias).length) catalog ??= new Map((await this.client.breaches()).map((b) => [b.Name, b]));
          exposures = [];
          for (const [alias, names] of Object.entries(byAlias)) {
            for (const name of names) {
              const breach = catalog?.get(name);
              // Added to HIBP after the catalog was read: picked up by the next poll, never reported half-known.
              if (breach && alias.length + entry.value.length < 320) exposures.push({ identity: `${alias}@${entry.value}`.toLowerCase(), breach });
              else this.log.warn({ orgId: entry.org_id, breach: name }, 'breach not in the HIBP catalog yet; left for the next poll');
            }
          }
        }
        // Fabricated breaches hold made-up data: not an exposure of anyone.
        result.reported += await this.record(entry, exposures.filter((e) => e.breach.IsFabricated !== true));
      } catch (err) {
        result.failed += 1;
        this.log.warn({ err, orgId: entry.org_id, watchId: entry.id, kind: entry.kind }, 'breach-feed lookup failed; retried next poll');
      }
    }
    return result;
  }

  private async record(entry: Selectable<WatchlistTable>, exposures: Exposure[]): Promise<number> {
    return this.watchlist.transaction(async (tx) => {
      const fresh = await this.watchlist.recordExposures(
        tx,
        exposures.map((e) => ({ org_id: entry.org_id, identity: e.identity, breach_name: e.breach.Name, event_id: deriveId('hibp', entry.org_id, e.identity, e.breach.Name) })),
      );
      const byKey = new Map(exposures.map((e) => [`${e.identity}\n${e.breach.Name}`, e.breach]));
      const events = fresh.map((f) =>
        createEvent(credentialExposedV1, {
          id: f.event_id,
          orgid: entry.org_id,
          source: BREACH_FEED_SOURCE,
          subject: f.identity,
          data: credentialExposedData(f.identity, byKey.get(`${f.identity}\n${f.breach_name}`)!),
        }),
      );
      // Through ingest like any producer's event: validated, hash-chained, then published per type.
      await enqueueEvents(tx, events, { subject: (e) => ingestSubmittedSubject(e.orgid) });
      await this.watchlist.markChecked(tx, entry.id, new Date());
      return events.length;
    });
  }
}
