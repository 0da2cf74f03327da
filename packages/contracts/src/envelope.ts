import { z } from 'zod';
import type { EventEnrichment } from './enrichment';

/**
 * CloudEvents 1.0 envelope (structured JSON mode) plus Vigil's tenant extension `orgid`.
 * Producers send `id`, `source`, `type`, `specversion`, `data` and usually `time`;
 * the gateway stamps `orgid` from the API key, so a producer can never write into another org.
 */
export const CLOUDEVENTS_SPECVERSION = '1.0';

const extensionName = /^[a-z0-9]{1,20}$/;

export const cloudEventEnvelopeSchema = z
  .object({
    specversion: z.literal(CLOUDEVENTS_SPECVERSION),
    id: z.string().min(1).max(128),
    source: z.string().min(1).max(512),
    type: z.string().min(1).max(128).regex(/^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$/, 'must be dotted lower-case, e.g. login.failed'),
    time: z.iso.datetime({ offset: true }).optional(),
    subject: z.string().max(512).optional(),
    datacontenttype: z.literal('application/json').optional(),
    dataschema: z.string().max(512).optional(),
    orgid: z.uuid().optional(),
    data: z.unknown(),
  })
  .catchall(z.unknown())
  .superRefine((event, ctx) => {
    for (const key of Object.keys(event)) {
      if (!extensionName.test(key)) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'CloudEvents attribute names are 1-20 lower-case letters or digits' });
      }
    }
  });

export type CloudEventEnvelope = z.infer<typeof cloudEventEnvelopeSchema>;

/** An event as it travels inside Vigil: tenant, time and a Vigil-wide unique id are always set. */
export interface VigilEvent<TType extends string = string, TData = unknown> {
  specversion: '1.0';
  id: string;
  source: string;
  type: TType;
  time: string;
  subject?: string;
  datacontenttype: 'application/json';
  dataschema: string;
  orgid: string;
  data: TData;
  /** Added by ingest (e.g. the location of `data.ip`); absent when there was nothing to add. */
  enrichment?: EventEnrichment;
}
