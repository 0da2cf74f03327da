import { z } from 'zod';

/**
 * What an IP address is. Only `public` addresses are looked up; every other kind is a fact about the
 * address itself (IANA special-purpose registries), so a private or documentation address is marked
 * as such instead of being "located" somewhere. `unknown`: routable, but the database has no country
 * for it (anycast, unannounced space). `invalid`: not an IP address at all.
 */
export const ipKindSchema = z.enum([
  'public',
  'private',
  'loopback',
  'link-local',
  'reserved',
  'multicast',
  'documentation',
  'carrier-grade-nat',
  'unknown',
  'invalid',
]);
export type IpKind = z.infer<typeof ipKindSchema>;

const nonPublicKinds = ipKindSchema.exclude(['public']);

/** Where an IP address is, as far as Vigil's bundled IP-to-city database knows; or why it has no location. */
export const geoEnrichmentSchema = z
  .discriminatedUnion('kind', [
    z
      .object({
        kind: z.literal('public'),
        country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166-1 alpha-2 code').describe('ISO 3166-1 alpha-2 country code'),
        region: z.string().min(1).max(200).optional().describe('First-level subdivision (state, province, region)'),
        city: z.string().min(1).max(200).optional(),
        latitude: z.number().min(-90).max(90).optional(),
        longitude: z.number().min(-180).max(180).optional(),
        timezone: z.string().min(1).max(64).optional().describe('IANA time zone, e.g. Europe/Berlin'),
      })
      .strict(),
    z.object({ kind: nonPublicKinds }).strict(),
  ])
  .describe('Location of the IP address, or the kind of address that has none');
export type GeoEnrichment = z.infer<typeof geoEnrichmentSchema>;

/**
 * What ingest added to an event. It sits beside `data`, never inside it: `data` stays exactly what the
 * producer sent, enrichment is Vigil's derived opinion of it (a newer database may say otherwise).
 */
export const eventEnrichmentSchema = z
  .object({
    geo: geoEnrichmentSchema.optional().describe("Location of the event's client IP (`data.ip`)"),
  })
  .strict();
export type EventEnrichment = z.infer<typeof eventEnrichmentSchema>;
