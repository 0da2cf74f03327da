import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, StringCodec } from 'nats';
import { createTransport } from 'nodemailer';
import { Client } from 'pg';
import {
  createTestDatabase,
  freePort,
  repoRoot,
  resolvePostgresAdminUrl,
  serviceEntry,
  startNats,
  startServiceProcess,
  startSmtpSink,
  waitFor,
  type ReceivedMail,
} from '../src';

function tcpAccepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

describe('waitFor / freePort', () => {
  it('resolves with the first truthy value', async () => {
    let n = 0;
    await expect(waitFor(() => (++n >= 3 ? n : undefined), { intervalMs: 10 })).resolves.toBe(3);
  });

  it('names the description and the last error on timeout', async () => {
    await expect(
      waitFor(
        () => {
          throw new Error('still booting');
        },
        { timeoutMs: 200, intervalMs: 20, description: 'the widget' },
      ),
    ).rejects.toThrow(/the widget.*still booting/);
  });

  it('returns a bindable port', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    expect(await tcpAccepts(port)).toBe(false);
  });
});

describe('startNats', () => {
  it('runs a private JetStream server and stops it', async () => {
    const nats = await startNats();
    const port = Number(new URL(nats.url).port);
    try {
      expect(port).not.toBe(4222);
      const nc = await connect({ servers: nats.url });
      try {
        const jsm = await nc.jetstreamManager();
        await jsm.streams.add({ name: 'HARNESS', subjects: ['harness.>'] });
        const js = nc.jetstream();
        const sc = StringCodec();
        const ack = await js.publish('harness.hello', sc.encode('hello jetstream'));
        expect(ack.stream).toBe('HARNESS');

        const consumer = await js.consumers.get('HARNESS');
        const msg = await consumer.next({ expires: 5000 });
        expect(msg?.subject).toBe('harness.hello');
        expect(msg && sc.decode(msg.data)).toBe('hello jetstream');
      } finally {
        await nc.close();
      }
    } finally {
      await nats.stop();
    }
    expect(await tcpAccepts(port)).toBe(false);
  });
});

describe('createTestDatabase', () => {
  it('provisions per-service roles that cannot read each other', async () => {
    const db = await createTestDatabase();
    expect(db.name).toMatch(new RegExp(`^vigil_t_${process.pid}_[0-9a-f]{8}$`));
    const incident = new Client({ connectionString: db.urlFor('incident') });
    const ingest = new Client({ connectionString: db.urlFor('ingest') });
    try {
      await incident.connect();
      await ingest.connect();

      await incident.query('create table incident.cases (id int primary key, title text not null)');
      await incident.query("insert into incident.cases values (1, 'leak')");
      const { rows } = await incident.query<{ title: string }>('select title from incident.cases');
      expect(rows).toEqual([{ title: 'leak' }]);
      const [owner] = await db.query<{ tableowner: string }>(
        "select tableowner from pg_tables where schemaname = 'incident' and tablename = 'cases'",
      );
      expect(owner.tableowner).toBe('vigil_incident');

      await ingest.query('create table ingest.events (id int)');
      await expect(incident.query('select * from ingest.events')).rejects.toThrow(/permission denied/);
    } finally {
      await incident.end();
      await ingest.end();
      await db.drop();
    }

    const admin = new Client({ connectionString: await resolvePostgresAdminUrl() });
    await admin.connect();
    try {
      const left = await admin.query('select 1 from pg_database where datname = $1', [db.name]);
      expect(left.rowCount).toBe(0);
    } finally {
      await admin.end();
    }
  });
});

describe('startSmtpSink', () => {
  it('receives and parses a real mail', async () => {
    const sink = await startSmtpSink();
    const transport = createTransport({ host: '127.0.0.1', port: sink.port, secure: false, ignoreTLS: true });
    try {
      expect(sink.url).toBe(`smtp://127.0.0.1:${sink.port}`);
      await transport.sendMail({
        from: 'Vigil <alerts@vigil.test>',
        to: 'Ops@Example.test, oncall@example.test',
        subject: 'Incident INC-1 opened',
        text: 'Credentials leaked.',
        html: '<p>Credentials <b>leaked</b>.</p>',
        headers: { 'X-Vigil-Incident': 'inc-1' },
      });
      const [mail] = await sink.waitForMessages(1);
      expect(mail.from).toBe('alerts@vigil.test');
      expect(mail.to).toEqual(['ops@example.test', 'oncall@example.test']);
      expect(mail.subject).toBe('Incident INC-1 opened');
      expect(mail.text.trim()).toBe('Credentials leaked.');
      expect(mail.html).toContain('<p>Credentials <b>leaked</b>.</p>');
      expect(mail.headers['x-vigil-incident']).toBe('inc-1');
      expect(mail.headers.subject).toBe('Incident INC-1 opened');
      expect(mail.messageId).toMatch(/^<.+@.+>$/);
      expect(mail.receivedAt).toBeInstanceOf(Date);

      sink.clear();
      expect(sink.messages).toHaveLength(0);
      await expect(sink.waitForMessages(1, undefined, 200)).rejects.toThrow(/1 mail/);
    } finally {
      transport.close();
      await sink.stop();
    }
    expect(await tcpAccepts(sink.port)).toBe(false);
  });
});

describe('startServiceProcess', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vigil-harness-'));
    await writeFile(
      join(dir, 'ready.js'),
      `const http = require('node:http');
       const server = http.createServer((req, res) => res.writeHead(req.url === '/readyz' ? 200 : 404).end(process.env.GREETING));
       server.listen(Number(process.env.PORT), '127.0.0.1', () => console.log('listening on ' + process.env.PORT));
       process.on('SIGTERM', () => { console.log('bye'); server.close(() => process.exit(0)); });`,
    );
    await writeFile(join(dir, 'crash.js'), `console.error('config invalid: DATABASE_URL missing'); process.exit(3);`);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('waits for /readyz and stops the process', async () => {
    const port = await freePort();
    const svc = await startServiceProcess({ name: 'fake', entry: join(dir, 'ready.js'), env: { GREETING: 'hi' }, port });
    try {
      expect(svc.url).toBe(`http://127.0.0.1:${port}`);
      const res = await fetch(`${svc.url}/`, { headers: { connection: 'close' } });
      expect(await res.text()).toBe('hi');
      expect(svc.logs()).toContain(`listening on ${port}`);
    } finally {
      await svc.stop();
    }
    await expect(svc.exited).resolves.toEqual({ code: 0, signal: null });
    expect(svc.logs()).toContain('bye');
  });

  it('reports the logs of a process that dies before it is ready', async () => {
    const port = await freePort();
    await expect(startServiceProcess({ name: 'crashy', entry: join(dir, 'crash.js'), env: {}, port })).rejects.toThrow(
      /crashy exited \(code 3[\s\S]*DATABASE_URL missing/,
    );
  });

  it('locates the repository and service entries', () => {
    expect(serviceEntry('gateway')).toBe(join(repoRoot(), 'services', 'gateway', 'dist', 'main.js'));
  });
});

describe('vigil-mail-sink CLI', () => {
  it('serves received mail over HTTP and exits 0 on SIGTERM', async () => {
    const [smtpPort, httpPort] = [await freePort(), await freePort()];
    const child = spawn(process.execPath, [join(__dirname, '..', 'dist', 'mail-sink-cli.js')], {
      env: { ...process.env, MAIL_SINK_SMTP_PORT: String(smtpPort), MAIL_SINK_HTTP_PORT: String(httpPort) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let stdout = '';
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    try {
      await waitFor(() => stdout.includes('"listening"'), { timeoutMs: 10_000, description: 'mail sink start' });
      const transport = createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, ignoreTLS: true });
      await transport.sendMail({ from: 'a@vigil.test', to: 'b@vigil.test', subject: '<script>x</script>', text: 'x' });
      transport.close();

      const mails = await waitFor(
        async () => {
          const res = await fetch(`http://127.0.0.1:${httpPort}/messages`);
          const body = (await res.json()) as ReceivedMail[];
          return body.length > 0 ? body : undefined;
        },
        { timeoutMs: 10_000, description: 'mail in /messages' },
      );
      expect(mails[0].subject).toBe('<script>x</script>');
      expect(mails[0].to).toEqual(['b@vigil.test']);

      const page = await (await fetch(`http://127.0.0.1:${httpPort}/`)).text();
      expect(page).toContain('&lt;script&gt;x&lt;/script&gt;');
      expect(page).not.toContain('<script>');
      await waitFor(() => stdout.includes('"event":"mail"'), { timeoutMs: 5000, description: 'mail log line' });
    } finally {
      child.kill('SIGTERM');
    }
    await expect(exited).resolves.toBe(0);
  });
});
