import { z } from 'zod';
import {
  accessDeniedExample,
  accountMfaEnabledExample,
  adminActionExample,
  credentialExposedExample,
  dataExportExample,
  loginFailedExample,
  producerEventDefinitions,
  thirdPartySharedExample,
  type GeoEnrichment,
} from '@vigil/contracts';
import { clientIpField, enrichEventData } from './enrich-event';
import { GeoLocator, type IpLocator } from './geo-locator';

/** Answers from a fixed table and records what it was asked. */
function tableLocator(table: Record<string, GeoEnrichment> = {}): IpLocator & { asked: string[] } {
  const asked: string[] = [];
  return { asked, locate: (ip) => (asked.push(ip), table[ip] ?? { kind: 'unknown' }) };
}

const shapeOf = (schema: z.ZodType): Record<string, z.ZodType> => {
  if (!(schema instanceof z.ZodObject)) throw new Error('producer schemas are objects');
  return schema.shape as Record<string, z.ZodType>;
};

describe('which field holds the client IP', () => {
  it('names every producer type of the catalog, and only those', () => {
    expect(Object.keys(clientIpField).sort()).toEqual(producerEventDefinitions.map((d) => d.type).sort());
  });

  it('names a field the type really has, and every type with an `ip` field has it named', () => {
    for (const d of producerEventDefinitions) {
      const shape = shapeOf(d.schema);
      const field = clientIpField[d.type];
      if (field) expect({ type: d.type, has: field in shape }).toEqual({ type: d.type, has: true });
      if ('ip' in shape) expect({ type: d.type, field }).toEqual({ type: d.type, field: 'ip' });
    }
  });

  it('has no producer-sent location to prefer: no catalog type carries one', () => {
    // If this fails, a type gained a location field: decide in clientIpField which one wins, then update this test.
    const locationish = /geo|locat|country|city|region|latitude|longitude|coordinates/i;
    for (const d of producerEventDefinitions) {
      expect({ type: d.type, fields: Object.keys(shapeOf(d.schema)).filter((k) => locationish.test(k)) }).toEqual({ type: d.type, fields: [] });
    }
  });
});

describe('enrichEventData', () => {
  const frankfurt: GeoEnrichment = { kind: 'public', country: 'DE', region: 'Hesse', city: 'Frankfurt am Main', latitude: 50.1109, longitude: 8.6821 };

  it('locates the IP of each type that carries one', () => {
    const locator = tableLocator({ '2a00:1450:4001::1': frankfurt });
    for (const [type, data] of [
      ['login.failed', { ...loginFailedExample, ip: '2a00:1450:4001::1' }],
      ['admin.action', { ...adminActionExample, ip: '2a00:1450:4001::1' }],
      ['data.export', { ...dataExportExample, ip: '2a00:1450:4001::1' }],
      ['access.denied', { ...accessDeniedExample, ip: '2a00:1450:4001::1' }],
      ['account.mfa_enabled', { ...accountMfaEnabledExample, ip: '2a00:1450:4001::1' }],
    ] as const) {
      expect({ type, enrichment: enrichEventData(type, data, locator) }).toEqual({ type, enrichment: { geo: frankfurt } });
    }
  });

  it('adds nothing when the type has no IP field or the event left it out, and asks the locator nothing', () => {
    const locator = tableLocator();
    expect(enrichEventData('thirdparty.shared', thirdPartySharedExample, locator)).toBeUndefined();
    expect(enrichEventData('credential.exposed', credentialExposedExample, locator)).toBeUndefined();
    expect(enrichEventData('account.mfa_enabled', { userId: 'usr_77' }, locator)).toBeUndefined();
    expect(enrichEventData('incident.created', { ip: '8.8.8.8' }, locator)).toBeUndefined();
    expect(locator.asked).toEqual([]);
  });

  it('with the real database: the catalog examples use documentation addresses, and are marked so', async () => {
    const geo = await GeoLocator.load();
    expect(enrichEventData('login.failed', loginFailedExample, geo)).toEqual({ geo: { kind: 'documentation' } });
    expect(enrichEventData('admin.action', { ...adminActionExample, ip: '192.168.10.4' }, geo)).toEqual({ geo: { kind: 'private' } });
    expect(enrichEventData('login.succeeded', { ip: '::ffff:8.8.8.8' }, geo)).toMatchObject({ geo: { kind: 'public', country: 'US' } });
  });
});
