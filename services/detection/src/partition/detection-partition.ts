import { hostname } from 'node:os';
import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { DeliverPolicy, StringCodec, type JetStreamManager, type NatsConnection, type Subscription } from 'nats';
import type { Logger } from 'pino';
import { streams } from '@vigil/contracts';
import { consumerConfig } from '@vigil/messaging';
import { CONFIG, LOGGER, Metrics, NATS } from '@vigil/platform';
import type { DetectionConfig } from '../config';

/** The durable of a single replica; kept for N = 1 so existing deployments keep their position. */
export const SINGLE_DURABLE = 'detection-events';
const PARTITIONED = /^detection-events-(\d+)-of-(\d+)$/;
/** Each replica answers on `<prefix>.<N>.<i>` (core NATS, private to detection), so a second process for one partition is noticed. */
export const PARTITION_PRESENCE_SUBJECT = 'vigil.detection.partition';
const sc = StringCodec();

/** FNV-1a (32 bit) over the org id's characters: stable across processes, versions and languages. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The partition (0-based) that owns an org, out of `partitions`. */
export function partitionOf(orgId: string, partitions: number): number {
  return partitions === 1 ? 0 : fnv1a(orgId) % partitions;
}

/** Replica i of N reads the security stream through its own durable. */
export function partitionDurable(partition: number, partitions: number): string {
  return partitions === 1 ? SINGLE_DURABLE : `detection-events-${partition}-of-${partitions}`;
}

/** The org of a security subject (`<type>.<org>`): its last token, read without decoding the message. */
export function orgOfSubject(subject: string): string {
  return subject.slice(subject.lastIndexOf('.') + 1);
}

/** The layout (partition count) a detection durable belongs to, or undefined for any other durable. */
export function layoutOf(durable: string): { partition: number; partitions: number } | undefined {
  if (durable === SINGLE_DURABLE) return { partition: 0, partitions: 1 };
  const m = PARTITIONED.exec(durable);
  return m ? { partition: Number(m[1]), partitions: Number(m[2]) } : undefined;
}

/**
 * Where a new durable may start without skipping anything: the highest sequence below which some
 * complete earlier layout (all N of its durables present) acked every message. Undefined: no complete
 * layout, so start at the beginning of the stream (a fresh deployment).
 */
export function resumeSequence(durables: readonly { name: string; ackFloor: number }[], own: string): number | undefined {
  const layouts = new Map<number, { floors: Map<number, number> }>();
  for (const d of durables) {
    const l = d.name === own ? undefined : layoutOf(d.name);
    if (!l || l.partition >= l.partitions) continue;
    const entry = layouts.get(l.partitions) ?? { floors: new Map<number, number>() };
    entry.floors.set(l.partition, d.ackFloor);
    layouts.set(l.partitions, entry);
  }
  let best: number | undefined;
  for (const [partitions, { floors }] of layouts) {
    if (floors.size !== partitions) continue;
    const floor = Math.min(...floors.values());
    if (best === undefined || floor > best) best = floor;
  }
  return best === undefined ? undefined : best + 1;
}

/**
 * This replica's share of the orgs (VIGIL_DETECTION_PARTITIONS / VIGIL_DETECTION_PARTITION). The
 * safe unit is the org: rules read across keys of one org (a success reads its IP's and its account's
 * failures; org-wide rules read the whole org), never across orgs. NATS 2.9 allows one filter subject
 * per consumer and no subject transforms, and the org is the subject's last token, so the stream cannot
 * be split by the server: each replica reads all of it through its own durable and acks the other
 * replicas' messages unread.
 */
@Injectable()
export class DetectionPartition implements OnModuleInit, OnModuleDestroy {
  readonly partitions: number;
  readonly partition: number;
  readonly durable: string;
  private readonly counts = { owned: 0, skipped: 0 };
  private presence?: Subscription;

  constructor(
    @Inject(CONFIG) config: Partial<DetectionConfig>,
    @Inject(NATS) private readonly nc: NatsConnection,
    @Inject(LOGGER) private readonly log: Logger,
    metrics: Metrics,
  ) {
    this.partitions = config.VIGIL_DETECTION_PARTITIONS ?? 1;
    this.partition = config.VIGIL_DETECTION_PARTITION ?? 0;
    this.durable = partitionDurable(this.partition, this.partitions);
    metrics
      .gauge({ name: 'vigil_detection_partition_info', help: 'This replica\'s partition of the orgs (always 1; the labels say which)', labelNames: ['partition', 'partitions'] })
      .labels(String(this.partition), String(this.partitions))
      .set(1);
    // Plain counts on the hot path; the counter catches up when scraped.
    const counted = { owned: 0, skipped: 0 };
    const counts = this.counts;
    metrics.counter({
      name: 'vigil_detection_partition_messages_total',
      help: 'Security-stream messages this replica read: owned (its orgs, evaluated) or skipped (another replica\'s orgs, acked unread)',
      labelNames: ['outcome'],
      collect() {
        for (const outcome of ['owned', 'skipped'] as const) {
          this.labels(outcome).inc(counts[outcome] - counted[outcome]);
          counted[outcome] = counts[outcome];
        }
      },
    });
  }

  /** Whether this replica handles the message on `subject` (counted either way). */
  owns(subject: string): boolean {
    if (this.partitions === 1 || fnv1a(orgOfSubject(subject)) % this.partitions === this.partition) {
      this.counts.owned++;
      return true;
    }
    this.counts.skipped++;
    return false;
  }

  /**
   * Before the consumer starts: a durable this layout creates for the first time starts where the
   * previous complete layout had acked everything (not at the stream's start, which would re-read up to
   * 30 days only for the inbox to drop them); durables of other layouts left behind are named.
   */
  async onModuleInit(): Promise<void> {
    const jsm = await this.nc.jetstreamManager();
    const durables: { name: string; ackFloor: number }[] = [];
    // The platform declared the stream before any module starts; an error here fails the start rather
    // than have a new durable replay the whole stream.
    for await (const ci of jsm.consumers.list(streams.security.name)) durables.push({ name: ci.name, ackFloor: ci.ack_floor.stream_seq });
    const stale = durables.map((d) => d.name).filter((name) => {
      const layout = layoutOf(name);
      return layout !== undefined && layout.partitions !== this.partitions;
    });
    if (stale.length) {
      this.log.warn(
        { durables: stale, partitions: this.partitions },
        `durables of another partition layout remain; once every replica runs with VIGIL_DETECTION_PARTITIONS=${this.partitions}, delete them: ${stale.map((n) => `nats consumer rm ${streams.security.name} ${n}`).join('; ')}`,
      );
    }
    if (!durables.some((d) => d.name === this.durable)) await this.createDurable(jsm, resumeSequence(durables, this.durable));
    await this.announce();
    this.log.info({ partition: this.partition, partitions: this.partitions, durable: this.durable }, 'detection partition');
  }

  onModuleDestroy(): void {
    this.presence?.unsubscribe();
  }

  /**
   * Two processes of one partition would share its durable as a work queue and both write its orgs'
   * state: ask whether one is already running (a dead one cannot answer) and say so loudly. Not a lock:
   * two starting at the same instant both find nobody.
   */
  private async announce(): Promise<void> {
    const subject = `${PARTITION_PRESENCE_SUBJECT}.${this.partitions}.${this.partition}`;
    try {
      const other = sc.decode((await this.nc.request(subject, undefined, { timeout: 1_000 })).data);
      this.log.error(
        { partition: this.partition, partitions: this.partitions, other },
        `another process already runs detection partition ${this.partition} of ${this.partitions} (${other}): run exactly one process per partition, or stop the other one`,
      );
    } catch {
      // No responders (or no answer): this process is the only one.
    }
    const me = `${hostname()} pid ${process.pid}`;
    this.presence = this.nc.subscribe(subject, { callback: (err, msg) => void (!err && msg.respond(sc.encode(me))) });
  }

  private async createDurable(jsm: JetStreamManager, startSeq: number | undefined): Promise<void> {
    if (startSeq === undefined) return; // the runner creates it, from the stream's start
    const cfg = { ...consumerConfig({ stream: streams.security, durable: this.durable }), deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: startSeq };
    try {
      await jsm.consumers.add(streams.security.name, cfg);
      this.log.info({ durable: this.durable, startSeq }, 'new partition durable starts where the previous layout left off');
    } catch (err) {
      // Another process of the same partition created it first: the same start, fine.
      if (!/already (exists|in use)/i.test(String(err))) throw err;
    }
  }
}
