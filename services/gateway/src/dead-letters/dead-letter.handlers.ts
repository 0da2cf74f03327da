import { Injectable, type OnModuleInit } from '@nestjs/common';
import { streams } from '@vigil/contracts';
import { ack, type Outcome } from '@vigil/messaging';
import { ServiceRuntime } from '@vigil/platform';
import { DEAD_LETTER_SUBJECT_PREFIX, readDeadLetter } from './dead-letter';
import { DeadLetterRepository } from './dead-letter.repository';

export const DEAD_LETTER_DURABLE = 'gateway-dead-letters';

/**
 * Giving up on a dead letter would publish it to `deadletter.gateway-dead-letters`, which this consumer
 * reads again, minus the original headers. Records are made storable (readDeadLetter), PostgreSQL being
 * away is transient and retried as long as it lasts, so only a surprise is left: retry that for about
 * a week (backoff tops out at 60 s) rather than lose the headers.
 */
const MAX_DELIVER = 10_000;

/** Records every dead letter in the gateway's database, where the API and the CLI can show and replay it. */
@Injectable()
export class DeadLetterHandlers implements OnModuleInit {
  constructor(
    private readonly runtime: ServiceRuntime,
    private readonly repo: DeadLetterRepository,
  ) {}

  onModuleInit(): void {
    this.runtime.consume(
      { stream: streams.deadLetters, durable: DEAD_LETTER_DURABLE, filterSubject: `${DEAD_LETTER_SUBJECT_PREFIX}>`, maxDeliver: MAX_DELIVER },
      // A failed batch throws: the runner retries transient failures and splits the batch otherwise.
      async (msgs): Promise<Outcome[]> => {
        await this.repo.record(msgs.map((m) => readDeadLetter({ subject: m.subject, data: m.data, headers: m.headers, seq: m.info.streamSequence })));
        return msgs.map(() => ack);
      },
    );
  }
}
