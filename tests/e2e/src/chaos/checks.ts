import type { JetStreamClient, JetStreamManager } from 'nats';
import { keyOf, referenceEvaluation, type Expected } from './oracle';
import type { EventRecord } from './producer';
import type { ChaosStack, ConsumerState } from './stack';

export interface Check {
  name: string;
  ok: boolean;
  expected: string;
  actual: string;
  /** Evidence when it fails: which ids, which keys, which consumers. */
  detail?: string;
}

export interface Observed {
  storedEvents: number;
  detections: number;
  detectionLinks: number;
  incidents: number;
  reportRecords: number;
  notifications: number;
  emailsReceived: number;
  deadLetters: number;
  deadLetterReasons: Record<string, number>;
  consumers: ConsumerState[];
}

export interface Verification {
  /** For a few mismatched org|ip keys: their failures' event times in the order they were offered. */
  diagnostics: string[];
  expected: Expected;
  observed: Observed;
  checks: Check[];
}

const sample = (xs: Iterable<string>, n = 8): string => {
  const all = [...xs];
  return all.slice(0, n).join(', ') + (all.length > n ? ` … (${all.length} in all)` : '');
};

const decoder = new TextDecoder();

/** Every message of a stream, by sequence (small streams: detections, dead letters). */
async function readStream(jsm: JetStreamManager, stream: string): Promise<{ data: unknown; headers: Record<string, string> }[]> {
  let info;
  try {
    info = await jsm.streams.info(stream);
  } catch (err) {
    if (/not found/i.test(String(err))) return [];
    throw err;
  }
  const out: { data: unknown; headers: Record<string, string> }[] = [];
  const seqs: number[] = [];
  for (let seq = info.state.first_seq; seq <= info.state.last_seq && info.state.messages > 0; seq++) seqs.push(seq);
  for (let i = 0; i < seqs.length; i += 32) {
    const msgs = await Promise.all(
      seqs.slice(i, i + 32).map((seq) =>
        jsm.streams.getMessage(stream, { seq }).catch((err: unknown) => {
          if (/no message found|not found/i.test(String(err))) return undefined;
          throw err;
        }),
      ),
    );
    for (const m of msgs) {
      if (!m) continue;
      const headers: Record<string, string> = {};
      if (m.header) for (const [k, v] of m.header) headers[k] = v.join(', ');
      let data: unknown;
      try {
        data = JSON.parse(decoder.decode(m.data));
      } catch {
        data = decoder.decode(m.data);
      }
      out.push({ data, headers });
    }
  }
  return out;
}

/** Ids of the login.failed events in VIGIL_SECURITY, in stream order (the order detection is offered them). */
async function securityStreamOrder(js: JetStreamClient, jsm: JetStreamManager): Promise<string[]> {
  const info = await jsm.streams.info('VIGIL_SECURITY');
  if (!info.state.messages) return [];
  const consumer = await js.consumers.get('VIGIL_SECURITY', { filterSubjects: ['login.failed.>'] });
  const ids: string[] = [];
  const messages = await consumer.consume({ max_messages: 1000 });
  for await (const m of messages) {
    // One event, or a CloudEvents batch of them as ingest publishes.
    for (const e of [m.json<{ id?: string } | { id?: string }[]>()].flat()) if (e.id) ids.push(e.id);
    if (m.seq >= info.state.last_seq || m.info.pending === 0) break;
  }
  await messages.close();
  return ids;
}

const ipFromCorrelation = (key: string | null | undefined): string | undefined => (key ? key.slice(key.indexOf(':') + 1) : undefined);

/**
 * Compares what the product stored, published and sent with what the producer was told and what the
 * reference evaluation says an uninterrupted run must produce.
 */
export interface VerifyContext {
  orgIds: readonly string[];
  consumers: ConsumerState[];
  /** When notification was SIGKILLed: a resend of a mail accepted just before is the documented window. */
  notificationKilledAt?: Date;
}

/**
 * A mail server that accepted a message before the sender could record it will get it again: no
 * protocol closes that window (docs/architecture.md), so a resend with the same Message-ID whose
 * first copy arrived around the moment notification was SIGKILLed (from this long before the signal
 * until KILL_SETTLE_MS after it, the time the signal takes to land) is the one duplicate allowed.
 */
const KILL_WINDOW_MS = 2_000;
const KILL_SETTLE_MS = 1_000;

export async function verify(stack: ChaosStack, producerRecords: Iterable<EventRecord>, ctx: VerifyContext): Promise<Verification> {
  const { orgIds, consumers } = ctx;
  const all = [...producerRecords];
  const checks: Check[] = [];

  // --- the producer's view
  const unanswered = all.filter((r) => !r.status);
  const rejected = all.filter((r) => r.status === 'rejected');
  checks.push({
    name: 'every event answered, none of the valid traffic rejected',
    ok: unanswered.length === 0 && rejected.length === 0,
    expected: '0 unanswered, 0 rejected',
    actual: `${unanswered.length} unanswered, ${rejected.length} rejected`,
    detail: rejected.length ? `e.g. ${JSON.stringify(rejected.slice(0, 3).map((r) => ({ id: r.event.producerId, time: new Date(r.event.at).toISOString(), errors: r.errors })))}` : undefined,
  });
  const answered = all.filter((r) => r.status === 'accepted' || r.status === 'duplicate');

  // --- (1) stored exactly once
  const expectedIds = new Map<string, EventRecord>();
  for (const r of answered) expectedIds.set(`${orgIds[r.event.orgIndex]}|${r.eventId}`, r);
  const stored = await stack.db.query<{ org_id: string; event_id: string; n: string }>(
    'select org_id, event_id, count(*) as n from ingest.raw_events group by org_id, event_id',
  );
  const storedKeys = new Set(stored.map((s) => `${s.org_id}|${s.event_id}`));
  const twice = stored.filter((s) => Number(s.n) > 1).map((s) => s.event_id);
  const missing = [...expectedIds.keys()].filter((k) => !storedKeys.has(k));
  const extra = [...storedKeys].filter((k) => !expectedIds.has(k));
  checks.push({
    name: 'every accepted event stored exactly once (ingest.raw_events)',
    ok: missing.length === 0 && extra.length === 0 && twice.length === 0,
    expected: `${expectedIds.size} events (the ids answered accepted or duplicate)`,
    actual: `${storedKeys.size} distinct stored; ${missing.length} missing, ${extra.length} never accepted, ${twice.length} stored twice`,
    detail:
      missing.length || extra.length || twice.length
        ? [
            missing.length ? `missing: ${sample(missing.map((k) => `${k} (${expectedIds.get(k)!.event.producerId}, ${new Date(expectedIds.get(k)!.event.at).toISOString()})`))}` : '',
            extra.length ? `extra: ${sample(extra)}` : '',
            twice.length ? `twice: ${sample(twice)}` : '',
          ]
            .filter(Boolean)
            .join('; ')
        : undefined,
  });

  // --- (2) detections and incidents against the reference evaluation
  const expected = referenceEvaluation(
    answered.filter((r) => r.event.type === 'login.failed').map((r) => ({ orgId: orgIds[r.event.orgIndex]!, ip: r.event.ip, at: r.event.at })),
  );
  const jsm = await stack.jsm();
  const detectionMsgs = await readStream(jsm, 'VIGIL_DETECTIONS');
  const detectionIds = new Map<string, string>();
  for (const m of detectionMsgs) {
    const e = m.data as { id?: string; type?: string; orgid?: string; subject?: string; data?: { correlationKey?: string; evidence?: { ip?: string } } };
    if (e.type !== 'detection.triggered' || !e.id || !e.orgid) continue;
    const ip = e.data?.evidence?.ip ?? e.subject ?? ipFromCorrelation(e.data?.correlationKey);
    detectionIds.set(e.id, keyOf(e.orgid, ip ?? '?'));
  }
  const actorOf = new Map<string, string>();
  for (const r of answered) actorOf.set(keyOf(orgIds[r.event.orgIndex]!, r.event.ip), r.event.actor);
  const explain = (d: string) => `${d} [${actorOf.get(d.slice(0, d.lastIndexOf(' '))) ?? '?'}]`;
  const actualAttacks = new Map<string, number>();
  for (const k of detectionIds.values()) actualAttacks.set(k, (actualAttacks.get(k) ?? 0) + 1);
  const attackDiff = diffCounts(expected.attacks, actualAttacks);
  checks.push({
    name: 'detections = attacks of the reference evaluation (distinct detection.triggered ids)',
    ok: attackDiff.length === 0,
    expected: String(expected.totalAttacks),
    actual: String(detectionIds.size),
    detail: attackDiff.length ? `per org|ip (expected→actual) [traffic shape]: ${sample(attackDiff.map(explain), 12)}` : undefined,
  });

  const diagnostics: string[] = [];
  if (attackDiff.length) {
    const order = await securityStreamOrder((await stack.natsConnection()).jetstream(), jsm).catch(() => [] as string[]);
    const position = new Map(order.map((id, i) => [id, i]));
    for (const d of attackDiff.slice(0, 6)) {
      const k = d.slice(0, d.lastIndexOf(' '));
      const mine = answered.filter((r) => r.event.type === 'login.failed' && keyOf(orgIds[r.event.orgIndex]!, r.event.ip) === k);
      const first = Math.min(...mine.map((r) => r.event.at));
      const rel = (r: EventRecord) => ((r.event.at - first) / 1000).toFixed(1);
      const inStream = [...mine].sort((a, b) => (position.get(a.eventId!) ?? Infinity) - (position.get(b.eventId!) ?? Infinity));
      diagnostics.push(
        `${k} [${actorOf.get(k)}] expected ${expected.attacks.get(k) ?? 0}, detected ${[...detectionIds.values()].filter((key) => key === k).length}. ` +
          `Failures by event time in s after the earliest — as offered (phase): ${mine.map((r) => `${rel(r)} (${r.phase})`).join(', ')}; ` +
          `in VIGIL_SECURITY order: ${inStream.map(rel).join(', ')}`,
      );
    }
  }

  const links = await stack.count('select count(distinct detection_id) as n from incident.incident_detections');
  checks.push({
    name: 'every detection folded into an incident (incident.incident_detections)',
    ok: links === detectionIds.size,
    expected: String(detectionIds.size),
    actual: String(links),
  });

  // --- response decisions: each brute_force.ip detection blocks its IP exactly once, through every fault
  const bruteForceIds = new Set(
    detectionMsgs
      .map((m) => m.data as { id?: string; type?: string; data?: { ruleId?: string } })
      .filter((e) => e.type === 'detection.triggered' && e.data?.ruleId === 'brute_force.ip' && e.id)
      .map((e) => e.id!),
  );
  const blocks = await stack.db.query<{ detection_id: string; n: string }>(
    "select detection_id, count(*) as n from detection.decisions where kind = 'block_ip' and rule_id = 'brute_force.ip' group by detection_id",
  );
  const blocked = new Map(blocks.map((b) => [b.detection_id, Number(b.n)]));
  const unblocked = [...bruteForceIds].filter((id) => !blocked.has(id));
  const doubled = blocks.filter((b) => Number(b.n) > 1).map((b) => b.detection_id);
  const createdIds = new Set(
    (await readStream(jsm, 'VIGIL_DECISIONS')).map((m) => m.data as { id?: string; type?: string }).filter((e) => e.type === 'decision.created' && e.id).map((e) => e.id!),
  );
  checks.push({
    name: 'one block_ip decision per brute_force.ip detection, each published once (decision.created)',
    ok: bruteForceIds.size > 0 && unblocked.length === 0 && doubled.length === 0 && blocked.size === bruteForceIds.size && createdIds.size === blocks.length,
    expected: `${bruteForceIds.size} decisions, ${bruteForceIds.size} decision.created`,
    actual: `${blocks.length} decisions (${unblocked.length} detections without, ${doubled.length} with two), ${createdIds.size} decision.created`,
    detail: unblocked.length || doubled.length ? `without: ${sample(unblocked)}; twice: ${sample(doubled)}` : undefined,
  });

  const incidents = await stack.db.query<{ id: string; org_id: string; number: string; correlation_key: string | null; ip: string | null }>(
    "select id, org_id, number, correlation_key, origin->>'ip' as ip from incident.incidents",
  );
  const expectedIncidents = new Map([...expected.attacks.keys()].map((k) => [k, 1]));
  const actualIncidents = new Map<string, number>();
  for (const i of incidents) {
    const k = keyOf(i.org_id, i.ip ?? ipFromCorrelation(i.correlation_key) ?? '?');
    actualIncidents.set(k, (actualIncidents.get(k) ?? 0) + 1);
  }
  const incidentDiff = diffCounts(expectedIncidents, actualIncidents);
  checks.push({
    name: 'incidents = IPs with an attack, one each (incident.incidents)',
    ok: incidentDiff.length === 0,
    expected: String(expected.totalIncidents),
    actual: String(incidents.length),
    detail: incidentDiff.length ? `per org|ip (expected→actual) [traffic shape]: ${sample(incidentDiff.map(explain), 12)}` : undefined,
  });

  // --- (3) one email per incident, reporting in step
  const deliveries = await stack.db.query<{ id: string; incident_id: string; status: string }>(
    'select d.id, n.incident_id, d.status from notification.deliveries d join notification.notifications n on n.id = d.notification_id',
  );
  const notifications = await stack.count('select count(*) as n from notification.notifications');
  const incidentOfDelivery = new Map(deliveries.map((d) => [d.id, d.incident_id]));
  /** Per incident, the copies received per Message-ID. */
  const mailsPerIncident = new Map<string, Map<string, Date[]>>();
  const strayMails: string[] = [];
  for (const m of stack.smtp.messages) {
    const deliveryId = /^<([^@>]+)@vigil>$/.exec(m.messageId)?.[1];
    const incidentId = deliveryId ? incidentOfDelivery.get(deliveryId) : undefined;
    if (!incidentId) {
      strayMails.push(`${m.messageId} "${m.subject}"`);
      continue;
    }
    const byId = mailsPerIncident.get(incidentId) ?? new Map<string, Date[]>();
    byId.set(m.messageId, [...(byId.get(m.messageId) ?? []), m.receivedAt]);
    mailsPerIncident.set(incidentId, byId);
  }
  const incidentById = new Map(incidents.map((i) => [i.id, i]));
  const numberOf = (id: string) => incidentById.get(id)?.number ?? id;
  const noMail = incidents.filter((i) => !mailsPerIncident.has(i.id)).map((i) => i.number);
  const killedAt = ctx.notificationKilledAt?.getTime();
  const inKillWindow = (first: Date) => killedAt !== undefined && first.getTime() - killedAt <= KILL_SETTLE_MS && killedAt - first.getTime() <= KILL_WINDOW_MS;
  const distinctSends: string[] = [];
  const resends: string[] = [];
  const windowResends: string[] = [];
  for (const [id, byId] of mailsPerIncident) {
    if (byId.size > 1) distinctSends.push(`${numberOf(id)}: ${byId.size} different Message-IDs`);
    for (const [messageId, copies] of byId) {
      if (copies.length < 2) continue;
      const line = `${numberOf(id)} ×${copies.length} (${messageId} at ${copies.map((d) => d.toISOString()).join(', ')})`;
      (inKillWindow(copies[0]!) ? windowResends : resends).push(line);
    }
  }
  checks.push({
    name: 'exactly one admin alert email per incident (SMTP sink)',
    ok: noMail.length === 0 && distinctSends.length === 0 && resends.length === 0 && strayMails.length === 0,
    expected: `${incidents.length} emails; a resend (same Message-ID) allowed only for a mail accepted as notification was SIGKILLed`,
    actual:
      `${stack.smtp.messages.length} received; ${noMail.length} incidents without, ${distinctSends.length} sent twice as different messages, ` +
      `${resends.length} resent (same Message-ID) outside the kill window, ${windowResends.length} resent in it, ${strayMails.length} unattributable`,
    detail:
      noMail.length || distinctSends.length || resends.length || strayMails.length || windowResends.length
        ? [
            noMail.length ? `without: ${sample(noMail)}` : '',
            distinctSends.length ? `different messages: ${sample(distinctSends)}` : '',
            resends.length ? `resent: ${sample(resends)}` : '',
            windowResends.length ? `resent, SIGKILL window (allowed): ${sample(windowResends)}` : '',
            strayMails.length ? `stray: ${sample(strayMails)}` : '',
          ]
            .filter(Boolean)
            .join('; ')
        : undefined,
  });

  const records = await stack.db.query<{ incident_id: string }>('select incident_id from reporting.incident_records');
  const recordIds = new Set(records.map((r) => r.incident_id));
  const notRecorded = incidents.filter((i) => !recordIds.has(i.id)).map((i) => i.number);
  const unknownRecords = [...recordIds].filter((id) => !incidentById.has(id));
  checks.push({
    name: 'breach register in step: one reporting.incident_records row per incident',
    ok: records.length === incidents.length && notRecorded.length === 0 && unknownRecords.length === 0,
    expected: String(incidents.length),
    actual: String(records.length),
    detail: notRecorded.length || unknownRecords.length ? `not recorded: ${sample(notRecorded)}; unknown: ${sample(unknownRecords)}` : undefined,
  });

  // --- dead letters and consumers
  const deadLetters = await readStream(jsm, 'VIGIL_DEAD_LETTERS');
  const deadLetterReasons: Record<string, number> = {};
  for (const d of deadLetters) {
    const subject = d.headers['Vigil-Dead-Letter-Subject'] ?? '?';
    const reason = `${subject.split('.').slice(0, 2).join('.')}: ${(d.headers['Vigil-Dead-Letter-Reason'] ?? '?').slice(0, 160)}`;
    deadLetterReasons[reason] = (deadLetterReasons[reason] ?? 0) + 1;
  }
  checks.push({
    name: 'no dead letters from valid traffic (VIGIL_DEAD_LETTERS)',
    ok: deadLetters.length === 0,
    expected: '0',
    actual: String(deadLetters.length),
    detail: deadLetters.length ? Object.entries(deadLetterReasons).map(([r, n]) => `${n}× ${r}`).join('; ') : undefined,
  });

  const stuck = consumers.filter((c) => c.pending > 0 || c.ackPending > 0);
  checks.push({
    name: 'no consumer stuck: every durable at num_pending = 0 and num_ack_pending = 0',
    ok: consumers.length > 0 && stuck.length === 0,
    expected: 'all 0',
    actual: stuck.length ? stuck.map((c) => `${c.durable}: ${c.pending} pending, ${c.ackPending} unacked`).join('; ') : `all 0 (${consumers.length} consumers)`,
  });

  return {
    diagnostics,
    expected,
    observed: {
      storedEvents: storedKeys.size,
      detections: detectionIds.size,
      detectionLinks: links,
      incidents: incidents.length,
      reportRecords: records.length,
      notifications,
      emailsReceived: stack.smtp.messages.length,
      deadLetters: deadLetters.length,
      deadLetterReasons,
      consumers,
    },
    checks,
  };
}

function diffCounts(expected: Map<string, number>, actual: Map<string, number>): string[] {
  const keys = new Set([...expected.keys(), ...actual.keys()]);
  const out: string[] = [];
  for (const k of keys) {
    const e = expected.get(k) ?? 0;
    const a = actual.get(k) ?? 0;
    if (e !== a) out.push(`${k} ${e}→${a}`);
  }
  return out;
}
