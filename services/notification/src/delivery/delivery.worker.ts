import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import type { Logger } from 'pino';
import { WakeableLoop, classifyFailure, describeError } from '@vigil/messaging';
import type { Database } from '@vigil/db';
import { CONFIG, DATABASE, LOGGER } from '@vigil/platform';
import type { NotificationConfig } from '../config';
import { EMAIL_PROVIDER, PermanentSendError, type EmailProvider } from '../email/email-provider';
import { DELIVERIES_CHANNEL, DeliveryRepository, type ClaimedDelivery } from './delivery.repository';
import { MAX_ATTEMPTS, STALE_CLAIM_MS, deliveryMessageId, retryDelayMs } from './delivery-policy';

const BATCH_SIZE = 16;
const SEND_CONCURRENCY = 4;
const POLL_MS = 1_000;
/**
 * After a send the server accepted, recording 'sent' is retried this long while PostgreSQL is away (a
 * restart takes seconds): each give-up means a resend once the claim goes stale, so stay well inside it.
 */
const RECORD_SENT_RETRY_MS = [250, 500, 1_000, 2_000, 4_000, 8_000, 15_000, 30_000];
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Sends pending email deliveries: the one effect that leaves the database, so it can't share a
 * transaction with anything. Each delivery is claimed ('sending', attempts+1) and committed before the
 * send, and its outcome recorded after it:
 *
 * - sent: 'sent' with the provider's message id;
 * - failed, retryable: back to 'pending' with an exponential next_attempt_at; 'failed' after
 *   MAX_ATTEMPTS or at once on a permanent rejection;
 * - process died mid-send: the row stays 'sending' and is claimed again once older than
 *   STALE_CLAIM_MS.
 *
 * Exactly-once ends at the mail server: if the process dies after the server accepted a message but
 * before 'sent' was committed, that message is sent again. No protocol can close that window, so
 * every attempt of a delivery carries the same Message-ID (`<delivery-id@vigil>`) and
 * X-Vigil-Delivery-Id header: the resend is recognisably the same message, and mail clients and
 * archives that de-duplicate by Message-ID show it once.
 *
 * Woken at once by NOTIFY from the deliveries insert trigger, and by a 1 s poll for retries that fall
 * due, abandoned claims, and a lost LISTEN connection.
 */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly loop: WakeableLoop;

  constructor(
    private readonly repo: DeliveryRepository,
    @Inject(EMAIL_PROVIDER) private readonly provider: EmailProvider,
    @Inject(CONFIG) private readonly config: NotificationConfig,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(DATABASE) database: Database<unknown>,
  ) {
    this.loop = new WakeableLoop({ name: 'email-deliveries', pool: database.pool, channel: DELIVERIES_CHANNEL, work: () => this.drain(), log, pollMs: POLL_MS });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.loop.start();
    this.log.info({ transport: this.config.EMAIL_TRANSPORT }, 'delivery worker started');
  }

  /** Stops claiming; the sends in flight finish and their outcome is recorded. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.loop.isStopped) return;
    await this.loop.stop();
    await this.provider.close?.();
    this.log.info('delivery worker stopped');
  }

  /** Sends everything due now and resolves when nothing due is left (tests, CLI). */
  flush(): Promise<void> {
    return this.loop.flush();
  }

  private async drain(): Promise<void> {
    while (!this.loop.isStopped) {
      const batch = await this.repo.claimDue(BATCH_SIZE, STALE_CLAIM_MS, MAX_ATTEMPTS);
      if (!batch.length) return;
      let next = 0;
      const sender = async () => {
        while (next < batch.length) await this.deliver(batch[next++]!);
      };
      await Promise.all(Array.from({ length: Math.min(SEND_CONCURRENCY, batch.length) }, sender));
      if (batch.length < BATCH_SIZE) return;
    }
  }

  private async deliver(d: ClaimedDelivery): Promise<void> {
    const ctx = { deliveryId: d.id, notificationId: d.notificationId, orgId: d.orgId, attempt: d.attempts };
    let providerMessageId: string;
    try {
      ({ providerMessageId } = await this.provider.send({
        from: this.config.EMAIL_FROM,
        to: d.recipient,
        subject: d.subject,
        text: d.text,
        html: d.html,
        messageId: deliveryMessageId(d.id),
        headers: { 'X-Vigil-Delivery-Id': d.id, 'Auto-Submitted': 'auto-generated' },
      }));
    } catch (err) {
      await this.recordFailure(d, err, ctx);
      return;
    }
    for (let attempt = 0; ; attempt++) {
      try {
        if (!(await this.repo.markSent(d, providerMessageId))) {
          this.log.warn(ctx, 'delivery sent but its claim was taken over meanwhile');
        } else {
          this.log.info({ ...ctx, providerMessageId }, 'email sent');
        }
        return;
      } catch (err) {
        const delay = RECORD_SENT_RETRY_MS[attempt];
        if (delay === undefined || classifyFailure(err) !== 'transient') {
          // Sent, but not recorded: the row stays 'sending' and is resent (same Message-ID) once stale.
          this.log.error({ ...ctx, err }, 'email sent but recording it failed; it will be resent with the same Message-ID');
          return;
        }
        this.log.warn({ ...ctx, err, retryInMs: delay }, 'email sent; recording it failed, retrying');
        await sleep(delay);
      }
    }
  }

  private async recordFailure(d: ClaimedDelivery, err: unknown, ctx: Record<string, unknown>): Promise<void> {
    const reason = describeError(err).slice(0, 1000);
    try {
      if (err instanceof PermanentSendError || d.attempts >= MAX_ATTEMPTS) {
        await this.repo.markFailed(d, reason);
        this.log.error({ ...ctx, reason }, 'email delivery failed for good');
      } else {
        const delayMs = retryDelayMs(d.attempts);
        await this.repo.markRetry(d, delayMs, reason);
        this.log.warn({ ...ctx, reason, retryInMs: delayMs }, 'email delivery failed; will retry');
      }
    } catch (dbErr) {
      // Left 'sending': reclaimed once stale, so the attempt is retried all the same.
      this.log.error({ ...ctx, err: dbErr, reason }, 'could not record a failed delivery');
    }
  }
}
