import { connect, type ConnectionOptions, type NatsConnection } from 'nats';

export async function connectNats(url: string, name: string, extra: Partial<ConnectionOptions> = {}): Promise<NatsConnection> {
  return connect({
    servers: url.split(',').map((s) => s.trim()),
    name,
    // Keep reconnecting for as long as the process lives: a NATS restart must not take a service down.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    // Each request (every JetStream publish) otherwise builds two Error objects for their stack traces
    // in case it times out: ~10 % of ingest's CPU when profiled. A timeout still says what timed out.
    noAsyncTraces: true,
    ...extra,
  });
}

/** Is NATS reachable right now (one round-trip)? Used by /readyz. */
export async function pingNats(nc: NatsConnection): Promise<void> {
  if (nc.isClosed()) throw new Error('NATS connection closed');
  await nc.flush();
}
