import { z } from 'zod';
import {
  API_KEY_SCOPES,
  apiKeyCreatedV1,
  apiKeyCreateRequestV1,
  apiKeyListV1,
  apiKeyViewV1,
  breachSummaryViewV1,
  chainVerificationV1,
  cloudEventEnvelopeSchema,
  deadLetterListParamsV1,
  deadLetterPageV1,
  deadLetterViewV1,
  detectionRuleViewV1,
  fieldErrorSchema,
  incidentViewV1,
  problemDetailsSchema,
  producerEventDefinitions,
  submissionOutcomeV1,
} from '@vigil/contracts';
import { MAX_BATCH_EVENTS } from '../events/event-submission.service';
import { BATCH_MEDIA_TYPE, STRUCTURED_MEDIA_TYPE } from '../events/http-modes';

const componentRef = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Named components from zod schemas; a schema used inside another becomes a $ref to its component. */
function components(io: 'input' | 'output', named: Record<string, z.ZodType>): Record<string, Record<string, unknown>> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(named)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, { io, unrepresentable: 'any', uri: (id) => componentRef(id).$ref });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, s]) => {
      const { $schema: _schema, $id: _id, ...rest } = s as Record<string, unknown>;
      return [id, rest];
    }),
  );
}

const json = (schema: object) => ({ 'application/json': { schema } });
const ok = (description: string, component: string) => ({ description, content: json(componentRef(component)) });
const problemResponse = (description: string) => ({ description, content: { 'application/problem+json': { schema: componentRef('Problem') } } });

/** Answers every authenticated route can give besides its own. */
const authProblems = (scope: string) => ({
  '401': problemResponse('missing, invalid or revoked API key'),
  '403': problemResponse(`the key lacks the ${scope} scope`),
  '429': {
    ...problemResponse("the key's rate limit (rateLimitPerMinute) is used up"),
    headers: { 'Retry-After': { description: 'seconds until the key may make another request', schema: { type: 'integer', minimum: 1 } } },
  },
});
const queryProblems = (owner: string) => ({
  '502': problemResponse(`the ${owner} service failed, or answered with a reply that breaks its contract`),
  '503': problemResponse(`the ${owner} service is not available`),
  '504': problemResponse(`the ${owner} service did not answer in time`),
});

const ruleId = { name: 'id', in: 'path', required: true, schema: { type: 'string', examples: ['brute_force.ip'] }, description: 'detection rule id' };
const apiKeyId = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' }, description: 'API key id' };
const revokeResponses = {
  '200': ok('revoked (or already revoked): the key, with revokedAt', 'ApiKey'),
  '400': problemResponse('not a UUID'),
  ...authProblems('admin'),
  '404': problemResponse('no such API key in this organisation'),
  '409': problemResponse("the organisation's last active admin key: create another admin key first"),
};
/** Binary mode: the event's attributes as headers (percent-encoded UTF-8 where not printable ASCII). */
const binaryModeHeaders = [
  ['ce-specversion', 'binary mode: `1.0`; its presence (with content-type application/json) selects binary mode'],
  ['ce-id', 'binary mode: producer event id'],
  ['ce-source', 'binary mode: event source (URI reference)'],
  ['ce-type', 'binary mode: event type, e.g. login.failed'],
  ['ce-time', 'binary mode: when it happened (RFC 3339)'],
  ['ce-subject', 'binary mode: subject'],
  ['ce-dataschema', 'binary mode: data schema'],
].map(([name, description]) => ({ name, in: 'header', required: false, schema: { type: 'string' }, description }));

const deadLetterId = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' }, description: 'dead letter id' };

/**
 * OpenAPI 3.1 description of /v1, generated from the same zod contracts that validate requests and
 * replies, so the documentation cannot drift from what the gateway accepts and answers.
 */
export function buildOpenApiDocument() {
  const requestSchemas = components('input', {
    CloudEvent: cloudEventEnvelopeSchema.describe('CloudEvents 1.0 envelope; `data` must match the contract of `type` (see the event data schemas)'),
    ...Object.fromEntries(producerEventDefinitions.map((d) => [`${d.type}.v${d.version}`, d.schema.describe(`data of a ${d.type} event (dataschema ${d.dataschema})`)])),
    ApiKeyCreateRequest: apiKeyCreateRequestV1,
  });
  const responseSchemas = components('output', {
    FieldError: fieldErrorSchema,
    Problem: problemDetailsSchema,
    SubmissionOutcome: submissionOutcomeV1,
    Incident: incidentViewV1,
    BreachSummary: breachSummaryViewV1,
    DeadLetter: deadLetterViewV1,
    DeadLetterPage: deadLetterPageV1,
    ApiKey: apiKeyViewV1,
    ApiKeyCreated: apiKeyCreatedV1,
    ApiKeyList: apiKeyListV1,
    ChainVerification: chainVerificationV1,
    DetectionRule: detectionRuleViewV1,
    DetectionRuleList: z.object({ rules: z.array(detectionRuleViewV1) }),
  });
  const listParameters = Object.entries(deadLetterListParamsV1.shape).map(([name, schema]) => {
    const { $schema: _schema, description, ...rest } = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as Record<string, unknown>;
    return { name, in: 'query', required: false, schema: rest, description };
  });

  return {
    openapi: '3.1.0',
    info: { title: 'Vigil API', version: '1', description: 'Breach and incident management. Every call needs `Authorization: Bearer <api key>`. Readable at /docs.' },
    servers: [{ url: '/' }],
    security: [{ apiKey: [] }],
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: `vgl_… API key; scopes: ${API_KEY_SCOPES.join(', ')} (admin implies all)` } },
      schemas: { ...requestSchemas, ...responseSchemas },
    },
    paths: {
      '/v1/events': {
        post: {
          summary: 'Submit security events (CloudEvents over HTTP: batch, structured or binary mode)',
          description: [
            'Three CloudEvents HTTP modes, all validated event by event exactly alike:',
            `- **batch**: a JSON array of 1–${MAX_BATCH_EVENTS} CloudEvents as \`${BATCH_MEDIA_TYPE}\` or \`application/json\`. Valid events are stored even when others are rejected (207). Error pointers index the batch: \`/3/data/ip\`.`,
            `- **structured**: one CloudEvent object as \`${STRUCTURED_MEDIA_TYPE}\`, treated as a batch of one (same answer shape). Error pointers point into the event: \`/data/ip\`.`,
            '- **binary**: `application/json` with a `ce-specversion` header. The attributes are the `ce-*` headers (`ce-id`, `ce-source`, `ce-type`, optional `ce-time`, `ce-subject`, `ce-dataschema`, other `ce-<name>` headers are extension attributes); the body is `data`. Header values are printable ASCII, anything else percent-encoded UTF-8. Error pointers point into the event as if it had been sent structured: `/source`, `/data/ip`; messages name the header.',
            'Any other content type is 415.',
          ].join('\n'),
          parameters: binaryModeHeaders,
          requestBody: {
            required: true,
            content: {
              [BATCH_MEDIA_TYPE]: { schema: { type: 'array', minItems: 1, maxItems: MAX_BATCH_EVENTS, items: componentRef('CloudEvent') } },
              [STRUCTURED_MEDIA_TYPE]: { schema: componentRef('CloudEvent') },
              'application/json': {
                schema: { oneOf: [{ type: 'array', minItems: 1, maxItems: MAX_BATCH_EVENTS, items: componentRef('CloudEvent') }, { description: 'binary mode (with ce-* headers): the event data' }] },
              },
            },
          },
          responses: {
            '202': ok('every event stored (or already stored: duplicate)', 'SubmissionOutcome'),
            '207': ok('some events stored, some rejected; see results', 'SubmissionOutcome'),
            '400': problemResponse('not JSON, not a batch (or not one event), bad ce-* headers, or no valid event (then `errors` and the per-event `results` say why)'),
            ...authProblems('events:write'),
            '413': problemResponse('body or batch too large'),
            '415': problemResponse('content type is none of the three modes'),
            '503': problemResponse('events could not be stored; retry the batch'),
          },
        },
      },
      '/v1/events/verify': {
        get: {
          summary: "Verify the organisation's tamper-evident event store",
          description:
            'Ingest recomputes the hash chain of every stored event (reading it in pages) and names the first row that fails: `altered` (its content no longer matches its hash), `removed` (rows before it, or at the end of the chain, are gone) or `reordered` (it links to another stored row than the one before it). Also `vigil events verify --org <id>`.',
          responses: {
            '200': ok('intact, or where and how the chain is broken', 'ChainVerification'),
            ...authProblems('admin'),
            ...queryProblems('ingest'),
          },
        },
      },
      '/v1/incidents/{ref}': {
        get: {
          summary: 'One incident with its timeline',
          parameters: [{ name: 'ref', in: 'path', required: true, schema: { type: 'string' }, description: 'incident id (UUID) or number (INC-YYYYMMDD-NNNN)' }],
          responses: {
            '200': ok('the incident', 'Incident'),
            '400': problemResponse('not a UUID or incident number'),
            ...authProblems('incidents:read'),
            '404': problemResponse('no such incident in this organisation'),
            ...queryProblems('incident'),
          },
        },
      },
      '/v1/detection/rules': {
        get: {
          summary: 'Every detection rule with the settings in force for this organisation',
          responses: { '200': ok('the rules, with defaults and effective settings', 'DetectionRuleList'), ...authProblems('admin'), ...queryProblems('detection') },
        },
      },
      '/v1/detection/rules/{id}': {
        get: {
          summary: 'One detection rule with its settings',
          parameters: [ruleId],
          responses: { '200': ok('the rule', 'DetectionRule'), '400': problemResponse('not a rule id'), ...authProblems('admin'), '404': problemResponse('no such rule'), ...queryProblems('detection') },
        },
        put: {
          summary: "Replace this organisation's settings of a rule",
          description:
            'The body is the whole settings document (fields left out take the rule\'s defaults; see `defaults` in GET). Validated against the rule\'s own schema; effective for the next event detection evaluates, no restart. Audited as an admin action. See docs/detection-rules.md.',
          parameters: [ruleId],
          requestBody: { required: true, content: json({ type: 'object', additionalProperties: true }) },
          responses: {
            '200': ok('the rule with its new settings', 'DetectionRule'),
            '400': problemResponse('settings that do not fit the rule (errors name each field with a JSON pointer into the body)'),
            ...authProblems('admin'),
            '404': problemResponse('no such rule'),
            ...queryProblems('detection'),
          },
        },
      },
      '/v1/reports/breach-summary': {
        get: {
          summary: 'Breach register summary over the last 12 calendar months',
          responses: {
            '200': ok('totals, per month, by severity/status/category, and the incidents', 'BreachSummary'),
            ...authProblems('reports:read'),
            ...queryProblems('reporting'),
          },
        },
      },
      '/v1/api-keys': {
        post: {
          summary: 'Create an API key',
          description: 'The answer carries the secret (vgl_…) this once; only its SHA-256 hash is stored. Keys with an event-type allow-list have other types rejected per event (pointer /<i>/type).',
          requestBody: { required: true, content: json(componentRef('ApiKeyCreateRequest')) },
          responses: {
            '201': ok('the key with its secret, shown once', 'ApiKeyCreated'),
            '400': problemResponse('invalid name, scopes, event types or rate limit (errors name each field)'),
            ...authProblems('admin'),
          },
        },
        get: {
          summary: "The organisation's API keys, without their secrets",
          responses: { '200': ok('every key, newest first, revoked ones included', 'ApiKeyList'), ...authProblems('admin') },
        },
      },
      '/v1/api-keys/{id}': {
        delete: { summary: 'Revoke an API key (idempotent)', description: 'Same as POST /v1/api-keys/{id}/revoke.', parameters: [apiKeyId], responses: revokeResponses },
      },
      '/v1/api-keys/{id}/revoke': {
        post: {
          summary: 'Revoke an API key (idempotent)',
          description: 'The key stops working at once on the gateway that answered, and within 5 seconds on any other gateway replica.',
          parameters: [apiKeyId],
          responses: revokeResponses,
        },
      },
      '/v1/api-keys/{id}/rotate': {
        post: {
          summary: "Replace an API key's secret",
          description: 'Same id, name, scopes, allow-list and rate limit; the new secret is shown this once and the old one stops working at once (no grace period: until the new secret is deployed, calls with the old one get 401; for zero downtime, create a second key, deploy it, then revoke the first).',
          parameters: [apiKeyId],
          responses: {
            '200': ok('the key with its new secret, shown once', 'ApiKeyCreated'),
            '400': problemResponse('not a UUID'),
            ...authProblems('admin'),
            '404': problemResponse('no such API key in this organisation'),
            '409': problemResponse('the key is revoked'),
          },
        },
      },
      '/v1/dead-letters': {
        get: {
          summary: "The organisation's dead letters, newest first",
          description: 'Messages a consumer could not process (e.g. an invalid event published straight to NATS), with the reason. Records whose organisation is unknown are only visible to operators (`vigil dead-letters list`).',
          parameters: listParameters,
          responses: {
            '200': ok('one page; follow nextCursor for the next', 'DeadLetterPage'),
            '400': problemResponse('invalid limit, cursor or consumer'),
            ...authProblems('admin'),
          },
        },
      },
      '/v1/dead-letters/{id}': {
        get: {
          summary: 'One dead letter',
          parameters: [deadLetterId],
          responses: {
            '200': ok('the dead letter', 'DeadLetter'),
            '400': problemResponse('not a UUID'),
            ...authProblems('admin'),
            '404': problemResponse('no such dead letter in this organisation'),
          },
        },
      },
      '/v1/dead-letters/{id}/replay': {
        post: {
          summary: 'Republish a dead letter to its original subject',
          description: 'The original bytes go to the original subject again (a new message id per replay); the consumer processes them like any message. If it still fails, a new dead letter is recorded.',
          parameters: [deadLetterId],
          responses: {
            '202': ok('republished; the record with replayedAt and replayCount', 'DeadLetter'),
            '400': problemResponse('not a UUID'),
            ...authProblems('admin'),
            '404': problemResponse('no such dead letter in this organisation'),
            '409': problemResponse('the dead letter does not name its original subject, or its payload was truncated'),
            '503': problemResponse('NATS did not take the message; nothing was recorded, retry'),
          },
        },
      },
    },
  };
}
