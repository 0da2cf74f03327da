import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { validCorrelationId, withCorrelationId } from '@vigil/messaging';
import type { Metrics } from './metrics';

/** Response header carrying the request's correlation id (given by the caller or made here). */
export const CORRELATION_ID_HTTP_HEADER = 'X-Correlation-Id';

/** Probes and scrapes: counted, but not worth a log line each. */
const QUIET_ROUTES = new Set(['/healthz', '/readyz', '/metrics']);

interface RequestObservation {
  correlationId: string;
  startedAt: bigint;
}

function headerValue(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Per HTTP request: a correlation id (a valid `X-Correlation-Id` or `X-Request-Id` from the caller, else
 * a new UUID) echoed in the response, current for everything the request does (logs, events it
 * publishes); request counts and durations by route template and status; one log line per request.
 */
export function observeHttp(fastify: FastifyInstance, deps: { log: Logger; metrics: Metrics }): void {
  const requests = deps.metrics.counter({
    name: 'vigil_http_requests_total',
    help: 'HTTP requests answered, by method, route template and status',
    labelNames: ['method', 'route', 'status'],
  });
  const duration = deps.metrics.histogram({
    name: 'vigil_http_request_duration_seconds',
    help: 'Time from request received to response sent, by method, route template and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
  const observed = new WeakMap<FastifyRequest, RequestObservation>();

  fastify.addHook('onRequest', (req, reply, done) => {
    const correlationId =
      validCorrelationId(headerValue(req, 'x-correlation-id')) ?? validCorrelationId(headerValue(req, 'x-request-id')) ?? randomUUID();
    observed.set(req, { correlationId, startedAt: process.hrtime.bigint() });
    void reply.header(CORRELATION_ID_HTTP_HEADER, correlationId);
    // Probes get no context: on Node 20 the first AsyncLocalStorage context makes every promise of the
    // process pay for it, and a service whose only HTTP traffic is probes (ingest) should not.
    if (QUIET_ROUTES.has(req.routeOptions.url ?? '')) {
      done();
      return;
    }
    // The rest of the request's lifecycle continues from done(), so it runs inside this context.
    withCorrelationId(correlationId, done);
  });
  // Reading the body resumes on the socket's callbacks, outside the context: enter it again for the handler.
  fastify.addHook('preValidation', (req, _reply, done) => {
    if (QUIET_ROUTES.has(req.routeOptions.url ?? '')) return done();
    withCorrelationId(observed.get(req)?.correlationId, done);
  });
  fastify.addHook('onResponse', (req, reply, done) => {
    const o = observed.get(req);
    // The route template, never the raw URL: ids in paths would make a series per request.
    const route = req.routeOptions.url ?? 'unmatched';
    const labels = { method: req.method, route, status: String(reply.statusCode) };
    requests.inc(labels);
    const seconds = o ? Number(process.hrtime.bigint() - o.startedAt) / 1e9 : 0;
    duration.observe(labels, seconds);
    if (!QUIET_ROUTES.has(route)) {
      withCorrelationId(o?.correlationId, () =>
        deps.log.info({ method: req.method, route, url: req.url, status: reply.statusCode, ms: Math.round(seconds * 1000) }, 'request'),
      );
    }
    done();
  });
}
