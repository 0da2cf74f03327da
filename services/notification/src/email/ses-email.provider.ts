import { SESClient, SendRawEmailCommand } from '@aws-sdk/client-ses';
import MailComposer from 'nodemailer/lib/mail-composer';
import { PermanentSendError, type EmailProvider, type OutgoingEmail } from './email-provider';

/** Far below the delivery worker's 2-minute reclaim (see SmtpEmailProvider). */
const REQUEST_TIMEOUT_MS = 30_000;

/** Builds the complete MIME message (headers, text and HTML alternatives) exactly as SMTP would send it. */
export async function buildRawMime(msg: OutgoingEmail): Promise<Buffer> {
  // OutgoingEmail's fields are nodemailer's message options of the same names.
  return new MailComposer(msg).compile().build();
}

/** SES errors that a retry can't fix. */
const permanentSesErrors = new Set(['MessageRejected', 'MailFromDomainNotVerifiedException', 'ConfigurationSetDoesNotExistException', 'AccountSendingPausedException']);

/**
 * Mail through Amazon SES (`SendRawEmail`, so we build the MIME ourselves and keep our headers).
 * SES replaces Message-ID with its own on the way out, so every message also carries
 * X-Vigil-Delivery-Id (set by the delivery worker): that header survives and identifies a resend.
 */
export class SesEmailProvider implements EmailProvider {
  private readonly client: SESClient;

  constructor(opts: { region: string; endpoint?: string }) {
    this.client = new SESClient({
      region: opts.region,
      ...(opts.endpoint ? { endpoint: opts.endpoint } : {}),
      requestHandler: { requestTimeout: REQUEST_TIMEOUT_MS, connectionTimeout: 10_000 },
    });
  }

  async send(msg: OutgoingEmail): Promise<{ providerMessageId: string }> {
    const raw = await buildRawMime(msg);
    try {
      const out = await this.client.send(new SendRawEmailCommand({ Source: msg.from, Destinations: [msg.to], RawMessage: { Data: raw } }));
      return { providerMessageId: out.MessageId ?? msg.messageId };
    } catch (err) {
      const name = (err as { name?: string }).name ?? '';
      if (permanentSesErrors.has(name)) throw new PermanentSendError(`SES ${name}: ${(err as Error).message}`);
      throw err;
    }
  }

  async close(): Promise<void> {
    this.client.destroy();
  }
}
