import { deriveId } from '@vigil/contracts';
import { loadConfig } from '@vigil/platform';
import { detectionEnvSchema } from '../config';
import { fnv1a, layoutOf, orgOfSubject, partitionDurable, partitionOf, resumeSequence } from './detection-partition';

describe('detection partitions', () => {
  it('hashes with 32-bit FNV-1a (published test vectors), so every replica and version agrees', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });

  it('gives every org exactly one partition, and spreads orgs evenly', () => {
    const orgs = Array.from({ length: 10_000 }, (_, i) => deriveId('partition-spec', String(i)));
    for (const n of [2, 3, 5]) {
      const counts = new Array<number>(n).fill(0);
      for (const org of orgs) counts[partitionOf(org, n)]!++;
      for (const c of counts) expect(Math.abs(c - orgs.length / n)).toBeLessThan(orgs.length / n / 10);
    }
    expect(orgs.every((o) => partitionOf(o, 1) === 0)).toBe(true);
  });

  it('reads the org from the subject\'s last token', () => {
    expect(orgOfSubject('login.failed.7c0e0c4e-6a6f-4b8e-9f57-1f0a7d3c2b11')).toBe('7c0e0c4e-6a6f-4b8e-9f57-1f0a7d3c2b11');
    expect(orgOfSubject('account.password_changed.org')).toBe('org');
  });

  it('keeps the single-replica durable name, and names each partition\'s durable by its layout', () => {
    expect(partitionDurable(0, 1)).toBe('detection-events');
    expect(partitionDurable(1, 2)).toBe('detection-events-1-of-2');
    expect(layoutOf('detection-events')).toEqual({ partition: 0, partitions: 1 });
    expect(layoutOf('detection-events-1-of-2')).toEqual({ partition: 1, partitions: 2 });
    expect(layoutOf('detection-decisions-password-changed')).toBeUndefined();
  });

  it('starts a new layout\'s durable after the last message a complete earlier layout acked', () => {
    const own = 'detection-events-0-of-3';
    // Fresh deployment, or only this layout's siblings: from the stream's start.
    expect(resumeSequence([], own)).toBeUndefined();
    expect(resumeSequence([{ name: 'detection-events-1-of-3', ackFloor: 50 }], own)).toBeUndefined();
    // One replica before: where it stopped.
    expect(resumeSequence([{ name: 'detection-events', ackFloor: 1200 }], own)).toBe(1201);
    // Two replicas before: the slower one bounds what all orgs have seen.
    expect(resumeSequence([{ name: 'detection-events-0-of-2', ackFloor: 900 }, { name: 'detection-events-1-of-2', ackFloor: 700 }], own)).toBe(701);
    // An incomplete layout (one of its replicas never ran) proves nothing for the other half of the orgs.
    expect(resumeSequence([{ name: 'detection-events-0-of-2', ackFloor: 900 }, { name: 'detection-events', ackFloor: 300 }], own)).toBe(301);
    // Several complete layouts: the one that got furthest.
    expect(
      resumeSequence(
        [
          { name: 'detection-events', ackFloor: 300 },
          { name: 'detection-events-0-of-2', ackFloor: 900 },
          { name: 'detection-events-1-of-2', ackFloor: 800 },
          { name: 'detection-decisions-mfa-enabled', ackFloor: 5000 },
        ],
        own,
      ),
    ).toBe(801);
  });

  it('refuses a partition outside 0 … N-1, naming the variable', () => {
    const env = (e: Record<string, string>) => loadConfig(detectionEnvSchema, { DATABASE_URL: 'postgres://detection@127.0.0.1/vigil', ...e }, 'detection');
    expect(env({})).toMatchObject({ VIGIL_DETECTION_PARTITIONS: 1, VIGIL_DETECTION_PARTITION: 0 });
    expect(env({ VIGIL_DETECTION_PARTITIONS: '2', VIGIL_DETECTION_PARTITION: '1' })).toMatchObject({ VIGIL_DETECTION_PARTITIONS: 2, VIGIL_DETECTION_PARTITION: 1 });
    expect(() => env({ VIGIL_DETECTION_PARTITIONS: '2', VIGIL_DETECTION_PARTITION: '2' })).toThrow(
      'VIGIL_DETECTION_PARTITION: must be below VIGIL_DETECTION_PARTITIONS (2): partitions are numbered 0 to 1',
    );
    expect(() => env({ VIGIL_DETECTION_PARTITION: '1' })).toThrow('VIGIL_DETECTION_PARTITION: must be below VIGIL_DETECTION_PARTITIONS (1)');
    expect(() => env({ VIGIL_DETECTION_PARTITIONS: '0' })).toThrow('VIGIL_DETECTION_PARTITIONS');
    expect(() => env({ VIGIL_DETECTION_PARTITIONS: 'two' })).toThrow('VIGIL_DETECTION_PARTITIONS');
  });
});
