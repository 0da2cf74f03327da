import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import { waitFor } from './wait';

export interface ReceivedMail {
  /** Envelope MAIL FROM, else the From header's address. */
  from: string;
  /** Envelope RCPT TO addresses, lower-case. */
  to: string[];
  subject: string;
  text: string;
  html: string;
  messageId: string;
  /** Lower-case header names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  receivedAt: Date;
}

export interface SmtpSinkOptions {
  /** Default: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Keep only the newest N messages (default: all). */
  maxMessages?: number;
  /** Called after each message is stored. */
  onMessage?: (mail: ReceivedMail) => void;
}

export interface SmtpSink {
  port: number;
  /** smtp://127.0.0.1:port */
  url: string;
  /** Oldest first; the array is live (clear() empties it in place). */
  messages: ReceivedMail[];
  /** Resolves with the matching messages once at least `count` have arrived (default timeout 10 s). */
  waitForMessages(count: number, predicate?: (m: ReceivedMail) => boolean, timeoutMs?: number): Promise<ReceivedMail[]>;
  clear(): void;
  stop(): Promise<void>;
}

const MAX_SIZE = 10 * 1024 * 1024;

function headerRecord(parsed: ParsedMail): Record<string, string> {
  const raw = new Map<string, string[]>();
  for (const { key, line } of parsed.headerLines) {
    const colon = line.indexOf(':');
    const value = (colon >= 0 ? line.slice(colon + 1) : '').replace(/\r?\n[ \t]+/g, ' ').trim();
    const k = key.toLowerCase();
    raw.set(k, [...(raw.get(k) ?? []), value]);
  }
  const out: Record<string, string> = {};
  for (const [key, values] of raw) {
    // mailparser has already decoded plain string headers (encoded-words); structured ones stay raw.
    const decoded = parsed.headers.get(key);
    out[key] = typeof decoded === 'string' && values.length === 1 ? decoded : values.join(', ');
  }
  return out;
}

function toReceivedMail(parsed: ParsedMail, session: SMTPServerSession): ReceivedMail {
  const envelopeFrom = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
  return {
    from: envelopeFrom || parsed.from?.value[0]?.address || '',
    to: session.envelope.rcptTo.map((r) => r.address.toLowerCase()),
    subject: parsed.subject ?? '',
    text: parsed.text ?? '',
    html: parsed.html || '',
    messageId: parsed.messageId ?? '',
    headers: headerRecord(parsed),
    receivedAt: new Date(),
  };
}

/** A real SMTP server that accepts everything and keeps the parsed messages in memory. */
export async function startSmtpSink(opts: SmtpSinkOptions = {}): Promise<SmtpSink> {
  const host = opts.host ?? '127.0.0.1';
  const messages: ReceivedMail[] = [];

  const server = new SMTPServer({
    authOptional: true,
    // Clients configured with credentials must still get through: accept any login, even without TLS.
    allowInsecureAuth: true,
    onAuth: (auth, _session, callback) => callback(null, { user: auth.username ?? 'anonymous' }),
    disabledCommands: ['STARTTLS'],
    size: MAX_SIZE,
    logger: false,
    // Pooled clients keep connections open; don't let stop() hang on them for the default 30 s.
    closeTimeout: 1000,
    onData(stream, session, callback) {
      simpleParser(stream)
        .then((parsed) => {
          if (stream.sizeExceeded) {
            const err: Error & { responseCode?: number } = new Error('Message exceeds the 10 MB limit');
            err.responseCode = 552;
            callback(err);
            return;
          }
          const mail = toReceivedMail(parsed, session);
          messages.push(mail);
          if (opts.maxMessages !== undefined && messages.length > opts.maxMessages) {
            messages.splice(0, messages.length - opts.maxMessages);
          }
          opts.onMessage?.(mail);
          callback();
        })
        .catch((err: unknown) => callback(err instanceof Error ? err : new Error(String(err))));
    },
  });

  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  // A late socket error must not crash the test process.
  server.on('error', () => undefined);
  const port = (server.server.address() as AddressInfo).port;

  let stopped: Promise<void> | undefined;
  return {
    port,
    url: `smtp://${host}:${port}`,
    messages,
    async waitForMessages(count, predicate = () => true, timeoutMs = 10_000) {
      try {
        return await waitFor(
          () => {
            const matching = messages.filter(predicate);
            return matching.length >= count ? matching : undefined;
          },
          { timeoutMs, intervalMs: 50, description: `${count} mail(s) on ${host}:${port}` },
        );
      } catch (err) {
        const seen = messages.map((m) => `  ${m.to.join(',')}: ${m.subject}`).join('\n') || '  (none)';
        throw new Error(`${err instanceof Error ? err.message : String(err)}\nreceived:\n${seen}`);
      }
    },
    clear() {
      messages.length = 0;
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => server.close(() => resolve()));
      return stopped;
    },
  };
}
