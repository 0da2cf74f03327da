import { headers as natsHeaders, type JetStreamClient, type PubAck } from 'nats';
import type { VigilEvent } from '@vigil/contracts';

const encoder = new TextEncoder();

export function encodeEvent(event: unknown): Uint8Array {
  return encoder.encode(JSON.stringify(event));
}

/**
 * Publishes with `Nats-Msg-Id` = event id, so a retried publish inside the stream's duplicate window is
 * stored once. Resolves only after JetStream has persisted the message.
 */
export async function publishEvent(js: JetStreamClient, subject: string, event: Pick<VigilEvent, 'id'>): Promise<PubAck> {
  return publishRaw(js, subject, event.id, encodeEvent(event));
}

export async function publishRaw(
  js: JetStreamClient,
  subject: string,
  msgId: string,
  payload: Uint8Array,
  extraHeaders: Record<string, string> = {},
): Promise<PubAck> {
  const h = natsHeaders();
  for (const [k, v] of Object.entries(extraHeaders)) h.set(k, v);
  return js.publish(subject, payload, { msgID: msgId, headers: h });
}
