import { eventEnrichmentSchema } from './enrichment';
import { zodErrors } from './validation';

const pointers = (value: unknown) => {
  const r = eventEnrichmentSchema.safeParse(value);
  return r.success ? [] : zodErrors(r.error, '/enrichment').map((e) => e.pointer);
};

describe('event enrichment contract', () => {
  it('accepts a located public address and a bare non-public kind', () => {
    const located = { kind: 'public', country: 'DE', region: 'Hesse', city: 'Frankfurt am Main', latitude: 50.1109, longitude: 8.6821, timezone: 'Europe/Berlin' };
    expect(eventEnrichmentSchema.parse({ geo: located })).toEqual({ geo: located });
    expect(eventEnrichmentSchema.parse({ geo: { kind: 'carrier-grade-nat' } })).toEqual({ geo: { kind: 'carrier-grade-nat' } });
    expect(eventEnrichmentSchema.parse({})).toEqual({});
  });

  it('never places a non-public address somewhere', () => {
    expect(pointers({ geo: { kind: 'private', country: 'DE' } })).toEqual(['/enrichment/geo']);
  });

  it('requires a country code for a public address', () => {
    expect(pointers({ geo: { kind: 'public' } })).toEqual(['/enrichment/geo/country']);
    expect(pointers({ geo: { kind: 'public', country: 'de' } })).toEqual(['/enrichment/geo/country']);
  });

  it('names each bad field', () => {
    expect(pointers({ geo: { kind: 'public', country: 'DE', latitude: 91, longitude: -181 } })).toEqual(['/enrichment/geo/latitude', '/enrichment/geo/longitude']);
    expect(pointers({ geo: { kind: 'somewhere' } })).toEqual(['/enrichment/geo/kind']);
    expect(pointers({ geo: { kind: 'public', country: 'DE' }, asn: 3320 })).toEqual(['/enrichment']);
  });
});
