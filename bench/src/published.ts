import { AckPolicy, nanos, type NatsConnection } from 'nats';

/**
 * Distinct events published on one subject of VIGIL_SECURITY, read as they arrive by an ephemeral
 * consumer acking nothing (NATS 2.9: one filter subject). A message carries one event or a CloudEvents
 * batch of them, as ingest publishes.
 */
export async function publishedEvents(nc: NatsConnection, subject: string): Promise<{ count: () => Promise<number>; total: () => number; stop: () => void }> {
  const jsm = await nc.jetstreamManager();
  const ci = await jsm.consumers.add('VIGIL_SECURITY', { filter_subject: subject, ack_policy: AckPolicy.None, inactive_threshold: nanos(60_000) });
  const messages = await (await nc.jetstream().consumers.get('VIGIL_SECURITY', ci.name)).consume();
  const ids = new Set<string>();
  let total = 0;
  void (async () => {
    for await (const m of messages) {
      for (const e of [m.json<{ id: string } | { id: string }[]>()].flat()) {
        ids.add(e.id);
        total += 1;
      }
    }
  })();
  // total counts every event read, so a copy published twice shows as total > distinct.
  return { count: async () => ids.size, total: () => total, stop: () => void messages.stop() };
}
