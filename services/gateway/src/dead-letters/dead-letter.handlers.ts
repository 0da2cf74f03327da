import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Logger } from 'pino';
import { streams } from '@vigil/contracts';
import { ack, describeError, type Outcome } from '@vigil/messaging';
import { LOGGER, ServiceRuntime } from '@vigil/platform';
import { DEAD_LETTER_SUBJECT_PREFIX, readDeadLetter } from './dead-letter';
import { DeadLetterRepository } from './dead-letter.repository';

export const DEAD_LETTER_DURABLE = 'gateway-dead-letters';

/**
 * Giving up on a dead letter would publish it to `deadletter.gateway-dead-letters`, which this consumer
 * reads again, minus the original headers. The only failure here is PostgreSQL being away, so keep
 * retrying (backoff tops out at 60 s: about a week) rather than lose the headers.
 */
const MAX_DELIVER = 10_000;

/** Records every dead letter in the gateway's database, where the API and the CLI can show and replay it. */
@Injectable()
export class DeadLetterHandlers implements OnModuleInit {
  constructor(
    private readonly runtime: ServiceRuntime,
    private readonly repo: DeadLetterRepository,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onModuleInit(): void {
    this.runtime.consume(
      { stream: streams.deadLetters, durable: DEAD_LETTER_DURABLE, filterSubject: `${DEAD_LETTER_SUBJECT_PREFIX}>`, maxDeliver: MAX_DELIVER },
      async (msgs): Promise<Outcome[]> => {
        const records = msgs.map((m) => readDeadLetter({ subject: m.subject, data: m.data, headers: m.headers, seq: m.info.streamSequence }));
        try {
          await this.repo.record(records);
          return msgs.map(() => ack);
        } catch (err) {
          this.log.error({ err, count: msgs.length }, 'recording dead letters failed; will retry');
          return msgs.map(() => ({ kind: 'retry', reason: describeError(err) }));
        }
      },
    );
  }
}
