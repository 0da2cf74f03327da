import { z } from 'zod';
import { cloudEventEnvelopeSchema, producerEventDefinitions } from '@vigil/contracts';
import { MAX_BATCH_EVENTS } from '../events/event-submission.service';

const jsonSchema = (schema: z.ZodType) => {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { unrepresentable: 'any', io: 'input' }) as Record<string, unknown>;
  return rest;
};

const problem = { $ref: '#/components/schemas/Problem' };
const problemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: problem } } });

/**
 * OpenAPI 3.1 description of /v1, generated from the same zod contracts that validate requests, so the
 * documentation cannot drift from what the gateway accepts.
 */
export function buildOpenApiDocument() {
  const eventSchemas = Object.fromEntries(
    producerEventDefinitions.map((d) => [
      `${d.type}.v${d.version}`,
      { ...jsonSchema(d.schema), description: `data of a ${d.type} event (dataschema ${d.dataschema})` },
    ]),
  );
  return {
    openapi: '3.1.0',
    info: { title: 'Vigil API', version: '1', description: 'Breach and incident management. Every call needs `Authorization: Bearer <api key>`.' },
    servers: [{ url: '/' }],
    security: [{ apiKey: [] }],
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'vgl_… API key; scopes: events:write, incidents:read, reports:read, admin' } },
      schemas: {
        CloudEvent: { ...jsonSchema(cloudEventEnvelopeSchema), description: 'CloudEvents 1.0 envelope; `data` must match the contract of `type` (see the event data schemas)' },
        ...eventSchemas,
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status'],
          properties: {
            type: { type: 'string' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            errors: { type: 'array', items: { type: 'object', properties: { pointer: { type: 'string', description: 'JSON pointer into the request body' }, message: { type: 'string' } } } },
          },
        },
        EventResult: {
          type: 'object',
          properties: {
            index: { type: 'integer' },
            id: { type: 'string' },
            status: { enum: ['accepted', 'duplicate', 'rejected'] },
            eventId: { type: 'string', format: 'uuid', description: 'Vigil id, derived from (org, source, id)' },
            errors: { type: 'array', items: { type: 'object', properties: { pointer: { type: 'string' }, message: { type: 'string' } } } },
          },
        },
        SubmissionOutcome: {
          type: 'object',
          properties: { accepted: { type: 'integer' }, duplicates: { type: 'integer' }, rejected: { type: 'integer' }, results: { type: 'array', items: { $ref: '#/components/schemas/EventResult' } } },
        },
      },
    },
    paths: {
      '/v1/events': {
        post: {
          summary: 'Submit a batch of security events',
          description: `A JSON array of 1–${MAX_BATCH_EVENTS} CloudEvents (application/json or application/cloudevents-batch+json). Events are validated one by one; valid ones are stored even when others are rejected.`,
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'array', maxItems: MAX_BATCH_EVENTS, items: { $ref: '#/components/schemas/CloudEvent' } } } } },
          responses: {
            '202': { description: 'every event stored (or already stored: duplicate)', content: { 'application/json': { schema: { $ref: '#/components/schemas/SubmissionOutcome' } } } },
            '207': { description: 'some events stored, some rejected; see results', content: { 'application/json': { schema: { $ref: '#/components/schemas/SubmissionOutcome' } } } },
            '400': problemResponse('not JSON, not a batch, or no valid event'),
            '401': problemResponse('missing or invalid API key'),
            '403': problemResponse('the key lacks events:write'),
            '413': problemResponse('body or batch too large'),
            '503': problemResponse('events could not be stored; retry the batch'),
          },
        },
      },
      '/v1/incidents/{ref}': {
        get: {
          summary: 'One incident with its timeline',
          parameters: [{ name: 'ref', in: 'path', required: true, schema: { type: 'string' }, description: 'incident id (UUID) or number (INC-YYYYMMDD-NNNN)' }],
          responses: { '200': { description: 'the incident' }, '404': problemResponse('no such incident in this organisation'), '401': problemResponse('missing or invalid API key') },
        },
      },
      '/v1/reports/breach-summary': {
        get: {
          summary: 'Breach register summary over the last 12 calendar months',
          responses: { '200': { description: 'totals, per month, by severity/status/category, and the incidents' }, '401': problemResponse('missing or invalid API key') },
        },
      },
    },
  };
}
