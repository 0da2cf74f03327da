#!/usr/bin/env node
/**
 * Local development mail sink: SMTP on MAIL_SINK_SMTP_PORT (default 1025), a JSON/HTML view on
 * MAIL_SINK_HTTP_PORT (default 8025), both on 127.0.0.1; the newest 500 messages kept in memory.
 */
import { createServer, type ServerResponse } from 'node:http';
import { startSmtpSink, type ReceivedMail } from './smtp-sink';

const HOST = '127.0.0.1';
const KEEP = 500;

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`${name}=${raw} is not a TCP port`);
  return port;
}

function escapeHtml(value: string): string {
  return value
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

function renderPage(mails: readonly ReceivedMail[]): string {
  const rows = mails
    .map(
      (m) =>
        `<tr><td>${escapeHtml(m.from)}</td><td>${escapeHtml(m.to.join(', '))}</td>` +
        `<td>${escapeHtml(m.subject)}</td><td>${escapeHtml(m.receivedAt.toISOString())}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>Vigil mail sink</title></head>
<body><h1>Vigil mail sink (${mails.length})</h1><p>JSON: <a href="/messages">/messages</a></p>
<table border="1" cellpadding="4"><thead><tr><th>From</th><th>To</th><th>Subject</th><th>Received</th></tr></thead>
<tbody>
${rows}
</tbody></table></body></html>
`;
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  res.end(body);
}

async function main(): Promise<void> {
  const smtpPort = portFromEnv('MAIL_SINK_SMTP_PORT', 1025);
  const httpPort = portFromEnv('MAIL_SINK_HTTP_PORT', 8025);

  const sink = await startSmtpSink({
    host: HOST,
    port: smtpPort,
    maxMessages: KEEP,
    onMessage: (m) =>
      process.stdout.write(
        JSON.stringify({ event: 'mail', from: m.from, to: m.to, subject: m.subject, messageId: m.messageId, receivedAt: m.receivedAt }) +
          '\n',
      ),
  });

  const http = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'method not allowed\n');
    const newestFirst = [...sink.messages].reverse();
    if (path === '/messages') return send(res, 200, 'application/json', JSON.stringify(newestFirst));
    if (path === '/') return send(res, 200, 'text/html; charset=utf-8', renderPage(newestFirst));
    return send(res, 404, 'text/plain', 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(httpPort, HOST, () => {
      http.off('error', reject);
      resolve();
    });
  });
  const httpAddress = http.address();
  const boundHttpPort = httpAddress && typeof httpAddress === 'object' ? httpAddress.port : httpPort;
  process.stdout.write(
    JSON.stringify({ event: 'listening', smtp: sink.url, http: `http://${HOST}:${boundHttpPort}` }) + '\n',
  );

  let closing = false;
  const shutdown = (): void => {
    if (closing) return;
    closing = true;
    http.closeAllConnections();
    Promise.all([new Promise<void>((resolve) => http.close(() => resolve())), sink.stop()]).then(
      () => process.exit(0),
      () => process.exit(0),
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

main().catch((err: unknown) => {
  process.stderr.write(`vigil-mail-sink: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
