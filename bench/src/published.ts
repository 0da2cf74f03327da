import { AckPolicy, nanos, type NatsConnection } from 'nats';

/**
 * Distinct events published on one subject of VIGIL_SECURITY, read as they arrive by an ephemeral
 * consumer acking nothing (NATS 2.9: one filter subject). A message carries one event or a CloudEvents
 * batch of them, as ingest publishes.
 */
export async function publishedEvents(nc: NatsConnection, subject: string): Promise<{ count: () => Promise<number>; stop: () => void }> {
  const jsm = await nc.jetstreamManager();
  const ci = await jsm.consumers.add('VIGIL_SECURITY', { filter_subject: subject, ack_policy: AckPolicy.None, inactive_threshold: nanos(60_000) });
  const messages = await (await nc.jetstream().consumers.get('VIGIL_SECURITY', ci.name)).consume();
  const ids = new Set<string>();
  void (async () => {
    for await (const m of messages) for (const e of [m.json<{ id: string } | { id: string }[]>()].flat()) ids.add(e.id);
  })();
  return { count: async () => ids.size, stop: () => void messages.stop() };
}
