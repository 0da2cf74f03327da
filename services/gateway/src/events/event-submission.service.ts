import { Inject, Injectable } from '@nestjs/common';
import type { NatsConnection } from 'nats';
import type { Logger } from 'pino';
import { deriveId, eventSizeProblem, ingestSubmittedSubject, parseProducerEvent, type EventResultV1, type SubmissionOutcomeV1 } from '@vigil/contracts';
import { correlationHeaders, currentCorrelationId, encodeEvent, publishRaw } from '@vigil/messaging';
import { CONFIG, LOGGER, Metrics, NATS, ProblemException, eventTimeBounds, type Counter } from '@vigil/platform';
import type { GatewayConfig } from '../config';

export const MAX_BATCH_EVENTS = 1000;

export type EventResult = EventResultV1;
export type SubmissionOutcome = SubmissionOutcomeV1;

/**
 * Validates a CloudEvents batch event by event and hands the valid ones to ingest through JetStream.
 * An event is "accepted" only once JetStream has persisted it; its Vigil id is derived from (org,
 * source, id), so a producer retrying a batch never creates a second copy.
 */
@Injectable()
export class EventSubmissionService {
  private readonly timeBounds;
  private readonly outcomes: Counter<'outcome'>;

  constructor(
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(LOGGER) private readonly log: Logger,
    @Inject(CONFIG) config: GatewayConfig,
    metrics: Metrics,
  ) {
    this.timeBounds = eventTimeBounds(config);
    this.outcomes = metrics.counter({
      name: 'vigil_gateway_events_total',
      help: 'Events submitted over HTTP, by outcome: accepted (stored in JetStream), duplicate or rejected',
      labelNames: ['outcome'],
    });
    for (const outcome of ['accepted', 'duplicate', 'rejected']) this.outcomes.labels(outcome).inc(0);
  }

  /** `allowedTypes`: the API key's event-type allow-list (null: every producer type). */
  async submit(orgId: string, body: unknown, allowedTypes: readonly string[] | null = null): Promise<SubmissionOutcome> {
    if (!Array.isArray(body)) {
      throw new ProblemException({
        status: 400,
        title: 'Bad Request',
        detail: 'body must be a JSON array of CloudEvents (a batch), e.g. [{"specversion":"1.0",...}]',
        errors: [{ pointer: '', message: `expected an array, got ${body === null ? 'null' : typeof body}` }],
      });
    }
    if (body.length === 0) throw new ProblemException({ status: 400, title: 'Bad Request', detail: 'the batch is empty', errors: [{ pointer: '', message: 'at least one event is required' }] });
    if (body.length > MAX_BATCH_EVENTS) {
      throw new ProblemException({ status: 413, title: 'Payload Too Large', detail: `at most ${MAX_BATCH_EVENTS} events per batch, got ${body.length}` });
    }

    const results: EventResult[] = new Array(body.length);
    const toPublish: { index: number; eventId: string; payload: Uint8Array }[] = [];
    const seenInBatch = new Set<string>();
    const receivedAt = new Date();
    body.forEach((raw: unknown, index) => {
      const id = echoableId(raw);
      const parsed = parseProducerEvent(raw, { receivedAt, timeBounds: this.timeBounds });
      if (!parsed.ok) {
        results[index] = { index, id, status: 'rejected', errors: parsed.errors.map((e) => ({ pointer: `/${index}${e.pointer === '/' ? '' : e.pointer}`, message: e.message })) };
        return;
      }
      const { envelope } = parsed.value;
      if (allowedTypes && !allowedTypes.includes(envelope.type)) {
        results[index] = { index, id, status: 'rejected', errors: [{ pointer: `/${index}/type`, message: `this API key may only submit ${allowedTypes.join(', ')} events` }] };
        return;
      }
      if (envelope.orgid !== undefined && envelope.orgid !== orgId) {
        results[index] = { index, id, status: 'rejected', errors: [{ pointer: `/${index}/orgid`, message: 'does not match the organisation of the API key (omit it; Vigil sets it)' }] };
        return;
      }
      const eventId = deriveId(orgId, envelope.source, envelope.id);
      if (seenInBatch.has(eventId)) {
        results[index] = { index, id, status: 'duplicate', eventId };
        return;
      }
      seenInBatch.add(eventId);
      const payload = encodeEvent({ ...envelope, orgid: orgId });
      const tooLarge = eventSizeProblem(payload.length);
      if (tooLarge) {
        results[index] = { index, id, status: 'rejected', errors: [{ pointer: `/${index}`, message: tooLarge }] };
        return;
      }
      results[index] = { index, id, status: 'accepted', eventId };
      toPublish.push({ index, eventId, payload });
    });

    if (toPublish.length) {
      const js = this.nc.jetstream();
      const subject = ingestSubmittedSubject(orgId);
      // The request's correlation id rides along, so ingest and everything downstream log it too.
      const headers = correlationHeaders(currentCorrelationId());
      const acks = await Promise.allSettled(toPublish.map((p) => publishRaw(js, subject, p.eventId, p.payload, headers)));
      const failed = acks.filter((a) => a.status === 'rejected');
      if (failed.length) {
        this.log.error({ err: (failed[0] as PromiseRejectedResult).reason, failed: failed.length }, 'JetStream publish failed');
        throw new ProblemException({
          status: 503,
          title: 'Service Unavailable',
          detail: `${failed.length} of ${toPublish.length} events could not be stored; retry the whole batch (events already stored are deduplicated by their id)`,
        });
      }
      acks.forEach((a, i) => {
        if (a.status === 'fulfilled' && a.value.duplicate) results[toPublish[i]!.index] = { index: toPublish[i]!.index, id: results[toPublish[i]!.index]!.id, status: 'duplicate', eventId: toPublish[i]!.eventId };
      });
    }

    const count = (s: EventResult['status']) => results.filter((r) => r.status === s).length;
    const outcome = { accepted: count('accepted'), duplicates: count('duplicate'), rejected: count('rejected'), results };
    this.outcomes.labels('accepted').inc(outcome.accepted);
    this.outcomes.labels('duplicate').inc(outcome.duplicates);
    this.outcomes.labels('rejected').inc(outcome.rejected);
    return outcome;
  }
}

/** The producer's id, echoed back only when it is a plausible id (never a hostile blob). */
function echoableId(raw: unknown): string | number | undefined {
  const id = typeof raw === 'object' && raw !== null ? (raw as { id?: unknown }).id : undefined;
  if (typeof id === 'number' && Number.isFinite(id)) return id;
  if (typeof id === 'string' && id.length <= 128) return id;
  return undefined;
}
