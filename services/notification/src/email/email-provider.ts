export interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** RFC 5322 Message-ID including the angle brackets, e.g. `<3f0c…@vigil>`. */
  messageId: string;
  headers?: Record<string, string>;
}

export interface EmailProvider {
  send(msg: OutgoingEmail): Promise<{ providerMessageId: string }>;
  /** Releases connections; called once at shutdown. */
  close?(): Promise<void>;
}

export const EMAIL_PROVIDER = Symbol('notification.email-provider');

/**
 * A send that can never succeed as it is (the server rejected the recipient or the message for
 * good): the delivery fails at once instead of burning its retries.
 */
export class PermanentSendError extends Error {
  override readonly name = 'PermanentSendError';
}
