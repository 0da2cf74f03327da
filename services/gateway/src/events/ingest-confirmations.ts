import { createInbox, type Msg, type NatsConnection, type NatsError, type Subscription } from 'nats';
import type { Logger } from 'pino';
import { ingestConfirmationV1, type IngestConfirmationV1 } from '@vigil/contracts';

interface Waiter {
  answers: Map<string, IngestConfirmationV1>;
  /** Set while the request waits; `stop` ends the wait whatever has come. */
  wake?: (stop?: boolean) => void;
}

/** One request's wait for ingest's confirmations of its batch messages. */
export interface PendingConfirmations {
  /** Where ingest is to confirm (header Vigil-Confirm-To); unique to the request. */
  subject: string;
  /** Stops waiting (nothing was published). */
  cancel(): void;
  /** The confirmations received, once each of `msgIds` has one or after `ms`, whichever comes first. */
  until(msgIds: ReadonlySet<string>, ms: number): Promise<Map<string, IngestConfirmationV1>>;
}

/**
 * Ingest's confirmations to this gateway process, on one subscription (`<inbox>.*`) for all requests,
 * each request waiting on a token of its own. An inbox, a SUB and an UNSUB per request cost the
 * gateway and the server a round of protocol each time.
 */
export class IngestConfirmations {
  private readonly prefix = createInbox();
  private readonly waiting = new Map<string, Waiter>();
  private sub?: Subscription;
  private next = 0;

  constructor(
    private readonly nc: NatsConnection,
    private readonly log: Logger,
  ) {}

  /** Call before any request publishes, so that no confirmation finds nobody listening. */
  start(): void {
    this.sub = this.nc.subscribe(`${this.prefix}.*`, { callback: (err, msg) => this.receive(err, msg) });
  }

  /** Stops listening; requests still waiting are answered with what they have, as on a timeout. */
  close(): void {
    this.sub?.unsubscribe();
    this.sub = undefined;
    for (const w of this.waiting.values()) w.wake?.(true);
    this.waiting.clear();
  }

  /** Registers a request before it publishes: a confirmation can arrive before the publish's ack. */
  open(): PendingConfirmations {
    const token = (this.next++).toString(36);
    const waiter: Waiter = { answers: new Map() };
    this.waiting.set(token, waiter);
    return {
      subject: `${this.prefix}.${token}`,
      cancel: () => this.waiting.delete(token),
      until: async (msgIds, ms) => {
        const done = () => {
          for (const id of msgIds) if (!waiter.answers.has(id)) return false;
          return true;
        };
        // Not waiting once closed (shutdown): nothing more will come.
        if (!done() && this.waiting.has(token)) {
          await new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, ms);
            waiter.wake = (stop) => {
              if (stop || done()) {
                clearTimeout(timer);
                resolve();
              }
            };
          });
        }
        this.waiting.delete(token);
        return waiter.answers;
      },
    };
  }

  private receive(err: NatsError | null, msg: Msg): void {
    if (err) {
      this.log.warn({ err }, 'ingest confirmations: subscription error');
      return;
    }
    // A request that no longer waits (timed out or cancelled): dropped unread, as nobody listens for it.
    const waiter = this.waiting.get(msg.subject.slice(this.prefix.length + 1));
    if (!waiter) return;
    try {
      const answer = ingestConfirmationV1.parse(msg.json());
      waiter.answers.set(answer.msgId, answer);
      waiter.wake?.();
    } catch (e) {
      this.log.warn({ err: e }, 'unreadable ingest confirmation ignored');
    }
  }
}
