import { request } from 'node:http';
import { TestStack, loginFailed, type TestOrg } from '../src';
import { waitFor } from '@vigil/testing';

interface Answer {
  status: number;
  contentType: string;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  body: any;
}

/**
 * POST /v1/events speaks the CloudEvents HTTP binding in its three modes (batch, structured, binary),
 * all validated alike; /docs shows the OpenAPI document with files served by the gateway itself.
 */
describe('CloudEvents HTTP modes and /docs (gateway + ingest as real processes)', () => {
  let stack: TestStack;
  let org: TestOrg;

  beforeAll(async () => {
    stack = await TestStack.start({ services: ['gateway', 'ingest'] });
    org = await stack.createOrg('Modes', ['sec@modes.test']);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  /** node:http, not fetch: it sends header bytes as given (latin1), which is what a hostile client does. */
  function http(path: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const req = request(stack.gatewayUrl + path, { method: init.method ?? (init.body !== undefined ? 'POST' : 'GET'), headers: init.headers ?? {} }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const contentType = String(res.headers['content-type'] ?? '');
          resolve({ status: res.statusCode ?? 0, contentType, headers: res.headers, text, body: contentType.includes('json') && text ? JSON.parse(text) : undefined });
        });
      });
      req.on('error', reject);
      req.end(init.body);
    });
  }

  const post = (contentType: string, body: unknown, headers: Record<string, string> = {}) =>
    http('/v1/events', { headers: { authorization: `Bearer ${org.key}`, 'content-type': contentType, ...headers }, body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body) });

  const storedEnvelope = async (eventId: string) => {
    await waitFor(async () => (await stack.count('select count(*) as n from ingest.raw_events where event_id = $1', [eventId])) === 1, { timeoutMs: 30_000, description: `event ${eventId} stored` });
    const [row] = await stack.db.query<{ envelope: Record<string, unknown> }>('select envelope from ingest.raw_events where event_id = $1', [eventId]);
    return row!.envelope;
  };

  /** Binary mode: the attributes of a login.failed as ce-* headers. */
  const ceHeaders = (e = loginFailed('203.0.113.30')) => ({ 'ce-specversion': '1.0', 'ce-id': e.id, 'ce-source': e.source, 'ce-type': e.type, 'ce-time': e.time });

  describe('each mode is accepted and stored', () => {
    it('batch as application/cloudevents-batch+json', async () => {
      const res = await post('application/cloudevents-batch+json', [loginFailed('203.0.113.10'), loginFailed('203.0.113.11')]);
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ accepted: 2, rejected: 0 });
      expect(((await storedEnvelope(res.body.results[1].eventId)).data as { ip: string }).ip).toBe('203.0.113.11');
    });

    it('one structured event as application/cloudevents+json, answered like a batch of one', async () => {
      const event = loginFailed('203.0.113.20');
      const res = await post('application/cloudevents+json; charset=utf-8', event);
      expect(res.status).toBe(202);
      expect(res.body).toEqual({ accepted: 1, duplicates: 0, rejected: 0, results: [{ index: 0, id: event.id, status: 'accepted', eventId: expect.any(String) }] });
      expect(await storedEnvelope(res.body.results[0].eventId)).toMatchObject({ id: event.id, source: event.source, data: event.data });
      // The same event again is a duplicate, as in a batch.
      expect((await post('application/cloudevents+json', event)).body.results[0].status).toBe('duplicate');
    });

    it('binary mode: ce-* headers are the attributes (percent-decoded), the body is the data', async () => {
      const e = loginFailed('203.0.113.31');
      const res = await post('application/json', e.data, { ...ceHeaders(e), 'ce-subject': 'caf%C3%A9 100%25', 'ce-region': 'eu' });
      expect(res.status).toBe(202);
      expect(res.body.results[0]).toMatchObject({ index: 0, id: e.id, status: 'accepted' });
      expect(await storedEnvelope(res.body.results[0].eventId)).toMatchObject({
        specversion: '1.0', id: e.id, source: e.source, type: 'login.failed', time: e.time, subject: 'café 100%', region: 'eu', datacontenttype: 'application/json', data: e.data,
      });
    });
  });

  describe("each mode's bad input is a 400 problem+json naming the field", () => {
    it('batch: pointers index the batch', async () => {
      const res = await post('application/cloudevents-batch+json', [{ ...loginFailed('x'), data: { ip: 'not-an-ip' } }]);
      expect(res.status).toBe(400);
      expect(res.contentType).toContain('application/problem+json');
      expect(res.body.errors).toEqual([expect.objectContaining({ pointer: '/0/data/ip' })]);
    });

    it('structured: pointers point into the event; an array is not one event', async () => {
      const res = await post('application/cloudevents+json', { ...loginFailed('x'), data: { ip: 'not-an-ip' } });
      expect(res.status).toBe(400);
      expect(res.contentType).toContain('application/problem+json');
      expect(res.body.detail).toBe('the event was rejected');
      expect(res.body.errors).toEqual([expect.objectContaining({ pointer: '/data/ip' })]);
      expect(res.body.results[0].errors[0].pointer).toBe('/data/ip');

      const noType = await post('application/cloudevents+json', { ...loginFailed('203.0.113.21'), type: undefined });
      expect(noType.body.errors).toEqual([expect.objectContaining({ pointer: '/type' })]);

      const array = await post('application/cloudevents+json', [loginFailed('203.0.113.22')]);
      expect(array.status).toBe(400);
      expect(array.contentType).toContain('application/problem+json');
      expect(array.body.detail).toMatch(/application\/cloudevents-batch\+json/);
    });

    it('structured bodies are parsed by the strict parser: __proto__ is refused as a field, bad UTF-8 as a body', async () => {
      const res = await post('application/cloudevents+json', `{"__proto__":{"x":1},${JSON.stringify(loginFailed('203.0.113.23')).slice(1)}`);
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([expect.objectContaining({ pointer: '/__proto__' })]);
      const bytes = Buffer.concat([Buffer.from('{"specversion":"1.0","id":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
      for (const type of ['application/cloudevents+json', 'application/cloudevents-batch+json']) {
        const bad = await post(type, bytes);
        expect(bad.status).toBe(400);
        expect(bad.contentType).toContain('application/problem+json');
        expect(bad.body.detail).toMatch(/UTF-8/);
      }
    });

    it('binary: a missing attribute, bad data, and a header name that is no attribute name', async () => {
      const { 'ce-source': _source, ...noSource } = ceHeaders();
      const missing = await post('application/json', { ip: '203.0.113.32' }, noSource);
      expect(missing.status).toBe(400);
      expect(missing.contentType).toContain('application/problem+json');
      expect(missing.body.errors).toEqual([expect.objectContaining({ pointer: '/source' })]);

      const badData = await post('application/json', { ip: 'not-an-ip' }, ceHeaders());
      expect(badData.status).toBe(400);
      expect(badData.body.errors).toEqual([expect.objectContaining({ pointer: '/data/ip' })]);

      const badName = await post('application/json', { ip: '203.0.113.33' }, { ...ceHeaders(), 'ce-trace_id': 'abc' });
      expect(badName.status).toBe(400);
      expect(badName.body.errors).toEqual([expect.objectContaining({ pointer: '/trace_id' })]);

      const dataHeader = await post('application/json', { ip: '203.0.113.34' }, { ...ceHeaders(), 'ce-datacontenttype': 'text/plain' });
      expect(dataHeader.status).toBe(400);
      expect(dataHeader.body.errors[0].message).toMatch(/ce-datacontenttype/);
    });

    it('binary: header values with characters outside printable ASCII, or broken percent-encoding, are refused by name', async () => {
      const raw = await post('application/json', { ip: '203.0.113.35' }, { ...ceHeaders(), 'ce-subject': 'caf\u00e9' });
      expect(raw.status).toBe(400);
      expect(raw.contentType).toContain('application/problem+json');
      expect(raw.body.errors).toEqual([{ pointer: '/subject', message: expect.stringMatching(/^header ce-subject: must be printable ASCII/) }]);

      const badEscape = await post('application/json', { ip: '203.0.113.36' }, { ...ceHeaders(), 'ce-source': 'https://app.example.test/%zz' });
      expect(badEscape.status).toBe(400);
      expect(badEscape.body.errors).toEqual([{ pointer: '/source', message: expect.stringMatching(/^header ce-source: invalid percent-encoding/) }]);

      const notUtf8 = await post('application/json', { ip: '203.0.113.37' }, { ...ceHeaders(), 'ce-subject': 'caf%E9' });
      expect(notUtf8.status).toBe(400);
      expect(notUtf8.body.errors[0]).toEqual({ pointer: '/subject', message: 'header ce-subject: percent-encoded bytes are not valid UTF-8' });
    });

    it('ce-* headers with a structured or batch body are refused as ambiguous', async () => {
      const res = await post('application/cloudevents+json', loginFailed('203.0.113.38'), { 'ce-specversion': '1.0' });
      expect(res.status).toBe(400);
      expect(res.body.detail).toMatch(/binary mode/);
    });
  });

  it('answers an unknown content type with 415 problem+json', async () => {
    for (const type of ['text/plain', 'application/xml', 'application/x-www-form-urlencoded']) {
      const res = await post(type, 'hello');
      expect(res.status).toBe(415);
      expect(res.contentType).toContain('application/problem+json');
      expect(res.body).toMatchObject({ status: 415, title: 'Unsupported Media Type' });
    }
    // Binary mode needs JSON data too.
    const binaryText = await post('text/plain', 'hello', ceHeaders());
    expect(binaryText.status).toBe(415);
  });

  describe('/docs', () => {
    it('is an HTML page whose scripts and styles all come from the gateway, and those answer with their types', async () => {
      const page = await http('/docs');
      expect(page.status).toBe(200);
      expect(page.contentType).toMatch(/^text\/html/);
      expect(String(page.headers['content-security-policy'])).toContain("script-src 'self'");
      expect(page.text).not.toMatch(/(https?:)?\/\/[a-z0-9]/i);
      const refs = [...page.text.matchAll(/<(script|link)\b[^>]*\b(?:src|href)="([^"]+)"/gi)].map((m) => ({ tag: m[1]!.toLowerCase(), url: m[2]! }));
      expect(refs.filter((r) => r.tag === 'script').length).toBeGreaterThanOrEqual(2);
      expect(refs.some((r) => r.url.endsWith('.css'))).toBe(true);
      for (const { url } of refs) {
        expect(new URL(url, stack.gatewayUrl + '/docs').origin).toBe(new URL(stack.gatewayUrl).origin);
        const asset = await http(new URL(url, stack.gatewayUrl + '/docs').pathname);
        expect(asset.status).toBe(200);
        const expected = url.endsWith('.css') ? /^text\/css/ : url.endsWith('.js') ? /^text\/javascript/ : /^image\/png/;
        expect(asset.contentType).toMatch(expected);
        expect(asset.text.length).toBeGreaterThan(0);
      }
      const init = await http('/docs/init.js');
      expect(init.text).toContain("url: '/v1/openapi.json'");
      expect((await http('/docs/assets/..%2Fpackage.json')).status).toBe(404);
    });

    it('reads an OpenAPI document that describes the three modes and the verify route', async () => {
      const doc = await http('/v1/openapi.json');
      const submit = doc.body.paths['/v1/events'].post;
      expect(Object.keys(submit.requestBody.content).sort()).toEqual(['application/cloudevents+json', 'application/cloudevents-batch+json', 'application/json']);
      expect(submit.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['ce-specversion', 'ce-id', 'ce-source', 'ce-type']));
      expect(submit.responses['415']).toBeDefined();
      expect(doc.body.paths['/v1/events/verify'].get).toBeDefined();
    });
  });
});
