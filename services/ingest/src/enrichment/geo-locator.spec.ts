import fc from 'fast-check';
import { geoEnrichmentSchema } from '@vigil/contracts';
import { GeoLocator, bundledGeoDatabase } from './geo-locator';

/**
 * Against the real bundled database. The addresses are long-lived allocations whose country does not
 * move between data releases (registries, national research networks, large providers' own blocks);
 * cities are not asserted, they do move.
 */
describe('GeoLocator (bundled DB-IP City Lite)', () => {
  let geo: GeoLocator;
  beforeAll(async () => {
    geo = await GeoLocator.load();
  });

  it.each([
    ['8.8.8.8', 'US'], // Google Public DNS
    ['81.2.69.142', 'GB'], // MaxMind's own UK test address
    ['193.0.6.139', 'NL'], // RIPE NCC, Amsterdam
    ['133.242.0.1', 'JP'], // SAKURA Internet
    ['200.160.2.3', 'BR'], // NIC.br
  ])('locates public IPv4 %s in %s', (ip, country) => {
    const g = geo.locate(ip);
    expect(g).toMatchObject({ kind: 'public', country });
    expect(g).toEqual(expect.objectContaining({ latitude: expect.any(Number), longitude: expect.any(Number), city: expect.any(String) }));
  });

  it.each([
    ['2a00:1450:4001::1', 'DE'], // Google, Frankfurt
    ['2001:67c:2e8::1', 'NL'], // RIPE NCC
    ['2001:da8::1', 'CN'], // CERNET
    ['2001:12ff::1', 'BR'], // NIC.br
  ])('locates public IPv6 %s in %s', (ip, country) => {
    expect(geo.locate(ip)).toMatchObject({ kind: 'public', country });
  });

  it('locates an IPv4-mapped IPv6 address exactly as the IPv4 address inside it', () => {
    const v4 = geo.locate('81.2.69.142');
    expect(geo.locate('::ffff:81.2.69.142')).toEqual(v4);
    expect(geo.locate('::ffff:5102:458e')).toEqual(v4);
  });

  it('marks special-purpose addresses by kind and never places them anywhere', () => {
    expect(geo.locate('10.1.2.3')).toEqual({ kind: 'private' });
    expect(geo.locate('fd00::1')).toEqual({ kind: 'private' });
    expect(geo.locate('127.0.0.1')).toEqual({ kind: 'loopback' });
    expect(geo.locate('::1')).toEqual({ kind: 'loopback' });
    expect(geo.locate('169.254.169.254')).toEqual({ kind: 'link-local' });
    expect(geo.locate('fe80::1%eth0')).toEqual({ kind: 'link-local' });
    expect(geo.locate('100.64.1.1')).toEqual({ kind: 'carrier-grade-nat' });
    expect(geo.locate('203.0.113.50')).toEqual({ kind: 'documentation' });
    expect(geo.locate('2001:db8::1')).toEqual({ kind: 'documentation' });
    expect(geo.locate('239.1.1.1')).toEqual({ kind: 'multicast' });
    expect(geo.locate('ff02::1')).toEqual({ kind: 'multicast' });
    expect(geo.locate('240.0.0.1')).toEqual({ kind: 'reserved' });
    expect(geo.locate('::ffff:192.168.0.1')).toEqual({ kind: 'private' });
  });

  it('says unknown for a routable address the database has no country for', () => {
    // The NAT64 well-known prefix is globally reachable, but no network is registered there.
    expect(geo.locate('64:ff9b::808:808')).toEqual({ kind: 'unknown' });
  });

  it('says invalid for garbage, and never throws', () => {
    for (const s of ['', 'not-an-ip', '999.1.1.1', '1.2.3.4.5', '::g', 'DROP TABLE events;', '\u0000', '8.8.8.8\n']) expect(geo.locate(s)).toEqual({ kind: 'invalid' });
  });

  it('answers every address, IPv4 or IPv6, within the event contract', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6(), fc.ipV4Extended(), fc.string()), (ip) => {
        expect(geoEnrichmentSchema.safeParse(geo.locate(ip)).success).toBe(true);
      }),
      { numRuns: 5000 },
    );
  });

  it('gives the same answers from its cache as before, across cache generations', () => {
    const probes = ['81.2.69.142', '2a00:1450:4001::1', '10.0.0.1', '64:ff9b::808:808'];
    const first = probes.map((ip) => geo.locate(ip));
    for (let i = 0; i < 25_000; i++) geo.locate(`${1 + (i % 200)}.${(i >> 8) & 255}.${i & 255}.1`);
    expect(probes.map((ip) => geo.locate(ip))).toEqual(first);
    expect(first.map((g) => g.kind)).toEqual(['public', 'public', 'private', 'unknown']);
  });

  it('rounds coordinates to four decimals', () => {
    const g = geo.locate('8.8.8.8');
    if (g.kind !== 'public') throw new Error('8.8.8.8 is public');
    for (const n of [g.latitude!, g.longitude!]) expect(Math.round(n * 1e4) / 1e4).toBe(n);
  });

  it('reports when its data was built', () => {
    expect(geo.builtAt.getTime()).toBeGreaterThan(Date.UTC(2024, 0, 1));
  });

  it('refuses to start with the IPv4 file where the IPv6 one belongs, or with a missing file', async () => {
    const files = bundledGeoDatabase();
    await expect(GeoLocator.load({ ipv4: files.ipv4, ipv6: files.ipv4 })).rejects.toThrow(/is not an IPv6 database/);
    await expect(GeoLocator.load({ ipv4: `${files.ipv4}.missing`, ipv6: files.ipv6 })).rejects.toThrow(/ENOENT/);
  });
});
