import { createEvent, loginFailedV1, type VigilEvent } from '@vigil/contracts';
import { decodeEvent } from './decode';
import { PermanentMessageError } from './errors';
import { encodeEvent } from './publisher';

const org = '7c0e1b2a-0000-4000-8000-000000000001';
const event = createEvent(loginFailedV1, { orgid: org, source: 'https://app.acme.test', data: { ip: '81.2.69.142', reason: 'invalid_password' } });
const message = (e: unknown) => ({ data: encodeEvent(e) });

describe('decodeEvent and enrichment', () => {
  it('passes the enrichment ingest added through to the consumer', () => {
    const enriched: VigilEvent = { ...event, enrichment: { geo: { kind: 'public', country: 'GB', city: 'London', latitude: 51.5143, longitude: -0.0912 } } };
    expect(decodeEvent(message(enriched), loginFailedV1)).toEqual(enriched);
  });

  it('adds no enrichment key to an event that has none', () => {
    expect(Object.keys(decodeEvent(message(event), loginFailedV1))).not.toContain('enrichment');
  });

  it('still drops unknown extension attributes', () => {
    expect(decodeEvent(message({ ...event, traceparent: '00-abc' }), loginFailedV1)).toEqual(event);
  });

  it('refuses a malformed enrichment for good, naming the field', () => {
    const bad = { ...event, enrichment: { geo: { kind: 'private', city: 'Berlin' } } };
    expect(() => decodeEvent(message(bad), loginFailedV1)).toThrow(PermanentMessageError);
    expect(() => decodeEvent(message({ ...event, enrichment: { geo: { kind: 'public', country: 'United Kingdom' } } }), loginFailedV1)).toThrow(
      /invalid enrichment: \/enrichment\/geo\/country: must be an ISO 3166-1 alpha-2 code/,
    );
  });
});
