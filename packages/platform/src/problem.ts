import { ArgumentsHost, Catch, HttpException, HttpStatus, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { classifyFailure } from '@vigil/messaging';

/** RFC 9457 problem details. `errors` lists field-level problems as JSON pointers. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  errors?: { pointer: string; message: string }[];
  /** Per-item results when a batch request failed as a whole. */
  results?: unknown[];
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const RETRY_AFTER_SECONDS = 2;

/** Thrown by handlers that want a specific problem body. */
export class ProblemException extends HttpException {
  constructor(public readonly problem: Omit<ProblemDetails, 'type'> & { type?: string }) {
    super(problem, problem.status);
  }
}

const titles: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

export function problemType(status: number): string {
  return `https://vigil.dev/problems/${status}`;
}

/** Every HTTP error leaves as application/problem+json; 5xx bodies never carry internals. */
@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  constructor(private readonly log: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const ctx = host.switchToHttp();
    const reply = ctx.getResponse<FastifyReply>();
    const req = ctx.getRequest<FastifyRequest>();
    const problem = toProblem(exception, req?.url);
    if (problem.status >= 500) this.log.error({ err: exception, url: req?.url }, 'request failed');
    // A dependency that is briefly away (the client may retry) is said so, with when to try again.
    if (problem.status === 503) void reply.header('retry-after', String(RETRY_AFTER_SECONDS));
    void reply.status(problem.status).header('content-type', PROBLEM_CONTENT_TYPE).send(problem);
  }
}

export function toProblem(exception: unknown, instance?: string): ProblemDetails {
  if (exception instanceof ProblemException) {
    const p = exception.problem;
    return { type: p.type ?? problemType(p.status), ...p, instance: p.instance ?? instance };
  }
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const body = exception.getResponse();
    const detail = typeof body === 'string' ? body : ((body as { message?: string | string[] }).message ?? exception.message);
    return {
      type: problemType(status),
      title: titles[status] ?? 'Error',
      status,
      detail: Array.isArray(detail) ? detail.join('; ') : String(detail),
      instance,
    };
  }
  // Fastify's own errors (body parsing, size limits) carry a statusCode and a safe message.
  const fe = exception as { statusCode?: number; code?: string; message?: string };
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return {
      type: problemType(fe.statusCode),
      title: titles[fe.statusCode] ?? 'Bad Request',
      status: fe.statusCode,
      detail: fastifyDetail(fe.code, fe.message),
      instance,
    };
  }
  if (classifyFailure(exception) === 'transient') {
    return { type: problemType(503), title: titles[503]!, status: HttpStatus.SERVICE_UNAVAILABLE, detail: 'a dependency is briefly unavailable; retry', instance };
  }
  return { type: problemType(500), title: titles[500]!, status: HttpStatus.INTERNAL_SERVER_ERROR, detail: 'unexpected error', instance };
}

function fastifyDetail(code: string | undefined, message: string | undefined): string {
  switch (code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return `request body is not valid JSON: ${message ?? ''}`.trim();
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'request body is larger than the limit';
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'content-type must be application/json or application/cloudevents-batch+json';
    default:
      return message ?? 'bad request';
  }
}
