import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import * as ts from 'typescript';
import { ClientClosedError, DeliveryError, EventValidationError, RetriesExhaustedError, VigilClient, VigilHttpError, type FlushResult, type ProducerEvent } from '@vigil/sdk';
import { repoRoot, waitFor } from '@vigil/testing';
import { TestStack, type TestOrg } from '../src';

const run = promisify(execFile);

/**
 * The producer SDK against the real gateway and ingest: its README example, retries that keep event ids
 * stable (so nothing is stored twice), Retry-After, rejected neighbours, 413 splitting, backpressure and
 * close(). Faults the gateway cannot be asked to produce come from a small proxy on 127.0.0.1.
 */
describe('producer SDK', () => {
  // Small enough that a few dozen events overflow it, so the SDK meets a real 413.
  const gatewayEnv = { GATEWAY_BODY_LIMIT_BYTES: '8192' };
  let stack: TestStack;
  let org: TestOrg;
  let proxy: FaultProxy;

  beforeAll(async () => {
    stack = await TestStack.start({ services: ['gateway', 'ingest'], env: { gateway: gatewayEnv } });
    org = await stack.createOrg('SDK', ['sec@sdk.test']);
    proxy = await FaultProxy.start(() => stack.gatewayUrl);
  }, 120_000);

  afterAll(async () => {
    await proxy?.stop();
    await stack?.stop();
  });

  afterEach(() => proxy.reset());

  /** producer_id of every row stored for this source, one entry per row (so a second copy shows). */
  const stored = async (source: string) =>
    (await stack.db.query<{ producer_id: string }>('select producer_id from ingest.raw_events where org_id = $1 and source = $2 order by producer_id', [org.orgId, source])).map((r) => r.producer_id);
  const waitStored = async (source: string, n: number) => {
    await waitFor(async () => (await stored(source)).length >= n, { timeoutMs: 30_000, description: `${n} events from ${source} in raw_events` });
    await stack.settle();
    return stored(source);
  };
  const client = (source: string, opts: Partial<ConstructorParameters<typeof VigilClient>[0]> = {}) =>
    new VigilClient({ baseUrl: proxy.url, apiKey: org.key, source, retryBaseMs: 20, retryCapMs: 200, ...opts });
  const failed = (i: number) => ({ ip: `198.51.100.${i % 250}`, username: `user${i}@sdk.test`, reason: 'invalid_password' as const });

  it('runs the README example as written, and its events are stored', async () => {
    const readme = readFileSync(join(repoRoot(), 'packages/sdk/README.md'), 'utf8');
    const block = /<!-- sdk-readme-example:[^>]*-->\s*```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toContain("from '@vigil/sdk'");
    const source = /source: '([^']+)'/.exec(block!)![1]!;
    const dir = mkdtempSync(join(tmpdir(), 'vigil-sdk-readme-'));
    try {
      // It must compile against the SDK's published types, strict, as a user's file would.
      const file = join(dir, 'example.ts');
      writeFileSync(file, block!);
      const program = ts.createProgram([file], {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.ES2022,
        moduleResolution: ts.ModuleResolutionKind.Node10,
        baseUrl: dir,
        paths: { '@vigil/sdk': [join(repoRoot(), 'packages/sdk/dist/index.d.ts')] },
        typeRoots: [join(repoRoot(), 'node_modules/@types')],
        types: ['node'],
        skipLibCheck: true,
      });
      const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      expect(diagnostics).toEqual([]);

      // And run as a program of its own, talking to the gateway directly.
      const js = ts.transpileModule(block!, { compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ES2022 } }).outputText;
      const entry = join(dir, 'example.mjs');
      writeFileSync(entry, js.replace("from '@vigil/sdk'", `from '${pathToFileURL(join(repoRoot(), 'packages/sdk/dist/index.js')).href}'`));
      const { stdout } = await run(process.execPath, [entry], { env: { ...process.env, VIGIL_URL: stack.gatewayUrl, VIGIL_API_KEY: org.key }, timeout: 60_000 });
      expect(JSON.parse(stdout.trim())).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await waitStored(source, 2);
    const rows = await stack.db.query<{ type: string; envelope: { subject?: string; data: Record<string, unknown> } }>('select type, envelope from ingest.raw_events where org_id = $1 and source = $2 order by type', [org.orgId, source]);
    expect(rows.map((r) => r.type)).toEqual(['login.failed', 'login.succeeded']);
    expect(rows[0]!.envelope.data).toEqual({ ip: '203.0.113.7', username: 'alice@acme.test', reason: 'invalid_password' });
    expect(rows[1]!.envelope).toMatchObject({ subject: 'user/u-42', data: { ip: '198.51.100.4', userId: 'u-42', mfa: true } });
  });

  it('retries through a gateway outage with the same ids, storing each event once', async () => {
    const source = 'https://sdk.test/outage';
    const vigil = client(source, { maxRetries: 1000 });
    await stack.services.get('gateway')!.stop();
    const ids = await Promise.all([1, 2, 3, 4, 5].map((i) => vigil.emit('login.failed', failed(i))));
    const flushed = vigil.flush();
    await waitFor(async () => proxy.requests.filter((r) => r.status === 502).length >= 3, { timeoutMs: 30_000, description: 'three attempts against the stopped gateway' });
    await stack.startService('gateway', gatewayEnv);

    expect(await flushed).toEqual({ accepted: 5, duplicates: 0, rejected: [] });
    expect(new Set(proxy.requests.map((r) => r.status))).toEqual(new Set([502, 202]));
    for (const r of proxy.requests) expect(r.ids).toEqual(ids);
    expect(await waitStored(source, 5)).toEqual([...ids].sort());
    await vigil.close();
  }, 120_000);

  it('retries a batch whose answer was lost with the same ids: the gateway answers duplicate, nothing is stored twice', async () => {
    const source = 'https://sdk.test/lost-answer';
    const vigil = client(source);
    // The first request reaches the gateway and is stored; the producer sees a 503 instead of the 202.
    proxy.script.push({ forwardThenStatus: 503 });
    const ids = await Promise.all([1, 2, 3].map((i) => vigil.emit('login.failed', failed(i))));

    expect(await vigil.close()).toEqual({ accepted: 0, duplicates: 3, rejected: [] });
    expect(proxy.requests.map((r) => r.status)).toEqual([503, 202]);
    expect(proxy.requests[1]!.ids).toEqual(proxy.requests[0]!.ids);
    expect(await waitStored(source, 3)).toEqual([...ids].sort());
  });

  it("waits as long as a 429's Retry-After says before retrying", async () => {
    const source = 'https://sdk.test/throttled';
    // Backoff alone would retry within a millisecond.
    const vigil = client(source, { retryBaseMs: 1, retryCapMs: 1 });
    proxy.script.push({ status: 429, headers: { 'retry-after': '1' } });
    const id = await vigil.emit('login.failed', failed(1));

    expect(await vigil.close()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    const [first, second] = proxy.requests;
    expect([first!.status, second!.status]).toEqual([429, 202]);
    expect(second!.ids).toEqual([id]);
    // setTimeout may fire up to a millisecond before its nominal time.
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(998);
    expect(await waitStored(source, 1)).toEqual([id]);
  });

  it('reports a rejected event with its pointer and stores its neighbours', async () => {
    const source = 'https://sdk.test/rejected';
    const reported: { event: ProducerEvent; pointers: string[] }[] = [];
    const vigil = client(source, { validate: false, onRejected: (event, errors) => reported.push({ event, pointers: errors.map((e) => e.pointer) }) });
    const before = await vigil.emit('login.failed', failed(1));
    const bad = await vigil.emit('login.failed', { ...failed(2), ip: 'not-an-ip' });
    const after = await vigil.emit('login.succeeded', { ip: '2001:db8::1', userId: 'u-7' });

    const result = await vigil.close();
    expect(result).toMatchObject({ accepted: 2, duplicates: 0 });
    expect(result.rejected).toEqual([{ event: expect.objectContaining({ id: bad }), errors: [{ pointer: '/data/ip', message: 'must be an IPv4 or IPv6 address' }] }]);
    expect(reported).toEqual([{ event: expect.objectContaining({ id: bad }), pointers: ['/data/ip'] }]);
    expect(proxy.requests).toHaveLength(1);
    expect(await waitStored(source, 2)).toEqual([before, after].sort());
  });

  it('refuses an invalid event in emit, before buffering it, with the pointer the gateway would use', async () => {
    const vigil = client('https://sdk.test/validated');
    const error = await vigil.emit('login.failed', { ...failed(1), ip: '999.1.1.1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EventValidationError);
    expect((error as EventValidationError).errors).toEqual([{ pointer: '/data/ip', message: 'must be an IPv4 or IPv6 address' }]);
    expect(vigil.pending).toBe(0);
    expect(await vigil.close()).toEqual({ accepted: 0, duplicates: 0, rejected: [] });
    expect(proxy.requests).toHaveLength(0);
  });

  it('splits a batch the gateway refuses as too large (413) and stores every event once', async () => {
    const source = 'https://sdk.test/too-large';
    const vigil = client(source, { flushIntervalMs: 600_000 });
    const ids = await Promise.all(Array.from({ length: 60 }, (_, i) => vigil.emit('login.failed', failed(i))));

    expect(await vigil.close()).toEqual({ accepted: 60, duplicates: 0, rejected: [] });
    expect(proxy.requests[0]).toMatchObject({ status: 413 });
    expect(proxy.requests[0]!.ids).toHaveLength(60);
    const stored202 = proxy.requests.filter((r) => r.status === 202).flatMap((r) => r.ids);
    expect([...stored202].sort()).toEqual([...ids].sort());
    expect(await waitStored(source, 60)).toEqual([...ids].sort());
  });

  it('makes emit wait for room once maxBufferedEvents are held', async () => {
    const source = 'https://sdk.test/backpressure';
    const vigil = client(source, { maxBatchSize: 1, maxBufferedEvents: 2 });
    const release = proxy.hold();
    const a = await vigil.emit('login.failed', failed(1)); // sent at once (a full batch of one), held by the proxy
    const b = await vigil.emit('login.failed', failed(2)); // buffered: two held now
    let cId: string | undefined;
    const c = vigil.emit('login.failed', failed(3)).then((id) => (cId = id));
    await waitFor(async () => proxy.held === 1, { timeoutMs: 10_000, description: 'first request held by the proxy' });
    // Nothing can make room while the only request is held.
    await new Promise((r) => setImmediate(r));
    expect(cId).toBeUndefined();
    expect(vigil.pending).toBe(2);

    release();
    await c;
    // c got its room when a was answered, so close() waits only for b and c.
    expect(await vigil.close()).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    expect(await waitStored(source, 3)).toEqual([a, b, cId!].sort());
  });

  it('close() sends what is buffered, stops the timer and refuses new events', async () => {
    const source = 'https://sdk.test/close';
    // Neither the timer nor the batch size would send these for ten minutes.
    const vigil = client(source, { flushIntervalMs: 600_000 });
    const ids = await Promise.all([1, 2, 3].map((i) => vigil.emit('login.failed', failed(i))));
    expect(vigil.pending).toBe(3);
    expect(proxy.requests).toHaveLength(0);

    const result: FlushResult = await vigil.close();
    expect(result).toEqual({ accepted: 3, duplicates: 0, rejected: [] });
    expect(proxy.requests).toHaveLength(1);
    expect(vigil.pending).toBe(0);
    await expect(vigil.emit('login.failed', failed(4))).rejects.toBeInstanceOf(ClientClosedError);
    expect(await waitStored(source, 3)).toEqual([...ids].sort());
  });

  it('does not retry a refused API key and surfaces it from flush()', async () => {
    const reported: number[] = [];
    const vigil = client('https://sdk.test/bad-key', { apiKey: 'vgl_not-a-key', onError: (_, events) => reported.push(events.length) });
    await vigil.emit('login.failed', failed(1));
    await vigil.emit('login.failed', failed(2));

    const error = await vigil.close().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).failed).toHaveLength(2);
    expect((error as DeliveryError).failed[0]!.error).toBeInstanceOf(VigilHttpError);
    expect(((error as DeliveryError).failed[0]!.error as VigilHttpError).status).toBe(401);
    expect(reported).toEqual([2]);
    expect(proxy.requests.map((r) => r.status)).toEqual([401]);
  });

  it('gives a batch up after maxRetries retries and says so', async () => {
    const vigil = client('https://sdk.test/gives-up', { maxRetries: 2, onError: () => undefined });
    proxy.script.push({ status: 503 }, { status: 503 }, { status: 503 }, { status: 503 });
    await vigil.emit('login.failed', failed(1));

    const error = await vigil.close().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    expect((error as DeliveryError).failed[0]!.error).toBeInstanceOf(RetriesExhaustedError);
    expect(proxy.requests.map((r) => r.status)).toEqual([503, 503, 503]);
  });

  it('with installShutdownHooks, SIGTERM sends what is buffered and then ends the process by the signal', async () => {
    const source = 'https://sdk.test/sigterm';
    const dir = mkdtempSync(join(tmpdir(), 'vigil-sdk-sigterm-'));
    try {
      const entry = join(dir, 'producer.mjs');
      writeFileSync(
        entry,
        [
          `import { VigilClient } from '${pathToFileURL(join(repoRoot(), 'packages/sdk/dist/index.js')).href}';`,
          `const vigil = new VigilClient({ baseUrl: process.env.VIGIL_URL, apiKey: process.env.VIGIL_API_KEY, source: '${source}', flushIntervalMs: 600000 });`,
          'vigil.installShutdownHooks();',
          `const ids = [await vigil.emit('login.failed', { ip: '192.0.2.1' }), await vigil.emit('login.failed', { ip: '192.0.2.2' })];`,
          'console.log(JSON.stringify(ids));',
          '// A server that would run until signalled.',
          'setInterval(() => undefined, 1000);',
        ].join('\n'),
      );
      const child = spawn(process.execPath, [entry], { env: { ...process.env, VIGIL_URL: proxy.url, VIGIL_API_KEY: org.key }, stdio: ['ignore', 'pipe', 'inherit'] });
      const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
      let out = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
      await waitFor(async () => out.includes('\n'), { timeoutMs: 30_000, description: 'the producer to emit' });
      const ids = JSON.parse(out.trim()) as string[];
      expect(proxy.requests).toHaveLength(0);

      child.kill('SIGTERM');
      expect(await exited).toBe('SIGTERM');
      expect(proxy.requests.map((r) => r.status)).toEqual([202]);
      expect(await waitStored(source, 2)).toEqual([...ids].sort());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

type Fault = { status: number; headers?: Record<string, string> } | { forwardThenStatus: number };

/**
 * A reverse proxy in front of the gateway that records every request (its time, the event ids it
 * carried, the status the client got) and can answer the next requests with scripted faults.
 */
class FaultProxy {
  readonly requests: { at: number; ids: string[]; status: number }[] = [];
  readonly script: Fault[] = [];
  held = 0;
  private gate: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    readonly url: string,
    private readonly target: () => string,
  ) {}

  static async start(target: () => string): Promise<FaultProxy> {
    let proxy!: FaultProxy;
    const server = createServer((req, res) => void proxy.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    proxy = new FaultProxy(server, `http://127.0.0.1:${port}`, target);
    return proxy;
  }

  /** Holds every request until the returned function is called. */
  hold(): () => void {
    let open!: () => void;
    this.gate = new Promise((resolve) => (open = resolve));
    return () => {
      this.gate = undefined;
      open();
    };
  }

  reset(): void {
    this.requests.length = 0;
    this.script.length = 0;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = performance.now();
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const record = { at, ids: (JSON.parse(body.toString('utf8')) as { id: string }[]).map((e) => e.id), status: 0 };
    this.requests.push(record);
    if (this.gate) {
      this.held += 1;
      await this.gate;
      this.held -= 1;
    }
    const fault = this.script.shift();
    const answer = (status: number, headers: Record<string, string> = {}, text = '') => {
      record.status = status;
      res.writeHead(status, headers).end(text);
    };
    if (fault && 'status' in fault) return answer(fault.status, fault.headers);
    let upstream: Response;
    try {
      upstream = await fetch(this.target() + req.url, { method: req.method, headers: { authorization: String(req.headers.authorization), 'content-type': 'application/json' }, body });
    } catch {
      return answer(502);
    }
    const text = await upstream.text();
    if (fault) return answer(fault.forwardThenStatus);
    answer(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/json' }, text);
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
