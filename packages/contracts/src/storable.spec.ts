import { defaultEventTimeBounds, eventTimeProblem, toStorableText, unstorableValues, MAX_EVENT_DEPTH } from './storable';
import { parseProducerEvent } from './validation';

describe('unstorableValues', () => {
  it('points at NUL and unpaired surrogates in values and member names, and accepts paired ones', () => {
    expect(unstorableValues({ data: { username: 'a\u0000b', ok: 'emoji \ud83d\ude00', note: ['fine', 'x\udc00'] } })).toEqual(
      expect.arrayContaining([
        { pointer: '/data/username', message: expect.stringMatching(/U\+0000/) },
        { pointer: '/data/note/1', message: expect.stringMatching(/surrogate/) },
      ]),
    );
    expect(unstorableValues({ data: { username: 'a\u0000b', ok: 'emoji \ud83d\ude00', note: ['fine', 'x\udc00'] } })).toHaveLength(2);
    expect(unstorableValues({ ['bad\u0000key']: 1 })).toEqual([{ pointer: '/bad\u0000key', message: expect.stringMatching(/^member name/) }]);
    expect(unstorableValues({ a: 'high \ud800 alone' })).toHaveLength(1);
    expect(unstorableValues({ a: 'tab\tnewline\n are fine', b: 1.5, c: null, d: true })).toEqual([]);
  });

  it('escapes pointer tokens (RFC 6901)', () => {
    expect(unstorableValues({ 'a/b': { '~c': '\u0000' } })).toEqual([{ pointer: '/a~1b/~0c', message: expect.any(String) }]);
  });

  it('refuses numbers JSON cannot hold and nesting deeper than the limit, without exhausting the stack', () => {
    expect(unstorableValues(JSON.parse('{"n": 1e400}'))).toEqual([{ pointer: '/n', message: 'number is out of range' }]);
    let deep: unknown = 'leaf';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const errors = unstorableValues(deep);
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toBe(`nested deeper than ${MAX_EVENT_DEPTH} levels`);
    expect(errors[0]!.pointer).toBe('/0'.repeat(MAX_EVENT_DEPTH));
  });

  it('reports at most 20 problems, however many there are', () => {
    expect(unstorableValues(Array.from({ length: 1000 }, () => '\u0000'))).toHaveLength(20);
    expect(unstorableValues(Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}\u0000`, 1])))).toHaveLength(20);
  });
});

describe('event time bounds', () => {
  const receivedAt = new Date('2026-11-25T12:00:00Z');
  it('accepts times within the skew and age bounds and names the bound it breaks otherwise', () => {
    expect(eventTimeProblem(new Date('2026-11-25T12:04:59Z'), receivedAt, defaultEventTimeBounds)).toBeUndefined();
    expect(eventTimeProblem(new Date('2026-11-12T12:00:00Z'), receivedAt, defaultEventTimeBounds)).toBeUndefined();
    expect(eventTimeProblem(new Date('2026-11-25T12:05:01Z'), receivedAt, defaultEventTimeBounds)).toMatch(/more than 5 minutes in the future/);
    expect(eventTimeProblem(new Date('2999-01-01T00:00:00Z'), receivedAt, defaultEventTimeBounds)).toMatch(/in the future/);
    expect(eventTimeProblem(new Date('1970-01-01T00:00:00Z'), receivedAt, defaultEventTimeBounds)).toMatch(/more than 14 days in the past/);
  });

  it('is applied by parseProducerEvent relative to when the event was received', () => {
    const event = { specversion: '1.0', id: 'e1', source: 's', type: 'login.failed', time: '2026-11-25T12:00:00Z', data: { ip: '192.0.2.1' } };
    expect(parseProducerEvent(event, { receivedAt }).ok).toBe(true);
    const late = parseProducerEvent(event, { receivedAt: new Date('2027-01-01T00:00:00Z') });
    expect(late).toEqual({ ok: false, errors: [{ pointer: '/time', message: expect.stringMatching(/in the past/) }] });
  });
});

describe('toStorableText', () => {
  it('replaces NUL and unpaired surrogates, keeps everything else', () => {
    expect(toStorableText('a\u0000b\ud800c\udc00 \ud83d\ude00 ok')).toBe('a\ufffdb\ufffdc\ufffd \ud83d\ude00 ok');
    expect(unstorableValues(toStorableText('\u0000\udfff'))).toEqual([]);
  });
});
