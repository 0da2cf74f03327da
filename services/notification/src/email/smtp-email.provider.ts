import { createTransport, type Transporter } from 'nodemailer';
import { parseConnectionUrl } from 'nodemailer/lib/shared';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import { PermanentSendError, type EmailProvider, type OutgoingEmail } from './email-provider';

/**
 * Socket-level limits, far below the delivery worker's 2-minute reclaim: a live process never holds a
 * claimed delivery long enough for another worker to take it over and send it a second time.
 */
const TIMEOUTS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 30_000 };

/** Mail over SMTP through a pooled nodemailer transport (connections reused across sends). */
export class SmtpEmailProvider implements EmailProvider {
  private readonly transport: Transporter<SMTPPool.SentMessageInfo>;

  constructor(smtpUrl: string) {
    // Query parameters of the URL (e.g. ?maxConnections=2) override the defaults here.
    const options: SMTPPool.Options = { pool: true, maxConnections: 4, maxMessages: 100, ...TIMEOUTS, ...parseConnectionUrl(smtpUrl) };
    this.transport = createTransport(options);
  }

  async send(msg: OutgoingEmail): Promise<{ providerMessageId: string }> {
    try {
      const info = await this.transport.sendMail(msg);
      if (info.rejected.length > 0) throw new PermanentSendError(`recipient rejected: ${info.response}`);
      // Many servers answer "250 … queued as <id>": that id finds the message in their logs.
      const queued = /queued as\s+<?([^\s>]+)>?/i.exec(info.response ?? '');
      return { providerMessageId: queued?.[1] ?? info.messageId };
    } catch (err) {
      const code = (err as { responseCode?: number }).responseCode;
      // 5xx is a permanent SMTP failure (RFC 5321); 4xx and network errors are worth retrying.
      if (!(err instanceof PermanentSendError) && code !== undefined && code >= 500 && code < 600) {
        throw new PermanentSendError(`SMTP ${code}: ${(err as Error).message}`);
      }
      throw err;
    }
  }

  async close(): Promise<void> {
    this.transport.close();
  }
}
