import { Inject, Injectable } from '@nestjs/common';
import { headers as natsHeaders, type NatsConnection } from 'nats';
import { headers as vigilHeaders, type DeadLetterPageV1, type DeadLetterViewV1 } from '@vigil/contracts';
import { NATS, ProblemException } from '@vigil/platform';
import { toView } from './dead-letter';
import { DeadLetterRepository, type DeadLetterFilter } from './dead-letter.repository';

/** Reading dead letters: shared by the HTTP API (one org) and the CLI (operators, every org). */
@Injectable()
export class DeadLetterService {
  constructor(private readonly repo: DeadLetterRepository) {}

  async list(filter: Omit<DeadLetterFilter, 'beforeSeq'> & { cursor?: string }): Promise<DeadLetterPageV1> {
    const { cursor, ...rest } = filter;
    const { rows, nextSeq } = await this.repo.list({ ...rest, ...(cursor !== undefined ? { beforeSeq: decodeCursor(cursor) } : {}) });
    return { items: rows.map(toView), nextCursor: nextSeq === null ? null : encodeCursor(nextSeq) };
  }

  async get(id: string, orgId?: string): Promise<DeadLetterViewV1 | undefined> {
    const row = await this.repo.find(id, orgId);
    return row && toView(row);
  }
}

/** Replaying dead letters: shared by the HTTP API (one org) and the CLI (operators, every org). */
@Injectable()
export class DeadLetterReplayer {
  constructor(
    private readonly repo: DeadLetterRepository,
    @Inject(NATS) private readonly nc: NatsConnection,
  ) {}

  /**
   * Publishes the original bytes to the original subject again. The message id is new per replay
   * (`replay:<id>:<n>`) because the original id may still be inside the stream's dedup window; a retry of
   * the same replay reuses `n`, so JetStream stores it once. The replay is recorded after JetStream's ack.
   */
  async replay(id: string, orgId?: string): Promise<DeadLetterViewV1 | undefined> {
    const row = await this.repo.find(id, orgId);
    if (!row) return undefined;
    if (!row.original_subject) {
      throw new ProblemException({ status: 409, title: 'Conflict', detail: 'this dead letter does not name its original subject, so it cannot be replayed' });
    }
    if (row.payload_truncated_from !== null) {
      throw new ProblemException({
        status: 409,
        title: 'Conflict',
        detail: `only the first ${row.payload.length} of ${row.payload_truncated_from} bytes were kept, so it cannot be replayed`,
      });
    }
    const n = row.replay_count + 1;
    const h = natsHeaders();
    // Marks the replay, so its consumer's logs (and a second dead letter) can be traced back.
    h.set(vigilHeaders.replayOf, row.id);
    try {
      await this.nc.jetstream().publish(row.original_subject, row.payload, {
        msgID: `replay:${row.id}:${n}`,
        headers: h,
        // Lands where it came from or not at all (the subject may have moved to another stream since).
        ...(row.original_stream ? { expect: { streamName: row.original_stream } } : {}),
      });
    } catch (err) {
      throw new ProblemException({
        status: 503,
        title: 'Service Unavailable',
        detail: `could not republish to ${row.original_subject}${row.original_stream ? ` in ${row.original_stream}` : ''}: ${err instanceof Error ? err.message : String(err)}`,
      });
    }
    return toView(await this.repo.markReplayed(row.id, n));
  }
}

/** Cursors are opaque to clients: a base64url position in insertion order. */
export function encodeCursor(seq: string): string {
  return Buffer.from(`s:${seq}`).toString('base64url');
}

export function decodeCursor(cursor: string): string {
  const m = /^s:(\d{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new ProblemException({ status: 400, title: 'Bad Request', detail: 'cursor is not one this API returned', errors: [{ pointer: '/cursor', message: 'invalid cursor' }] });
  return m[1]!;
}
