import { z } from 'zod';
import {
  API_KEY_SCOPES,
  drillRecipientsV1,
  complianceProfileBodyV1,
  complianceProfileV1,
  incidentObligationsV1,
  obligationReportRequestV1,
  regimeListV1,
  MAX_BATCH_EVENTS,
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
  affectedPeopleAddedV1View,
  affectedPeopleBodyV1,
  assignBodyV1,
  createIncidentBodyV1,
  detectionRuleViewV1,
  fieldErrorSchema,
  incidentListParamsV1,
  incidentPageV1,
  incidentViewV1,
  noteBodyV1,
  notificationRequestBodyV1,
  notificationRequestViewV1,
  drillReportV1,
  playbookTemplateBodyV1,
  playbookTemplateV1,
  taskUpdateBodyV1,
  timelineVerificationV1,
  transitionBodyV1,
  updateIncidentBodyV1,
  problemDetailsSchema,
  producerEventDefinitions,
  submissionOutcomeV1,
} from '@vigil/contracts';
import { BATCH_MEDIA_TYPE, STRUCTURED_MEDIA_TYPE } from '../events/http-modes';
import { decisionPaths, decisionRequestSchemas, decisionResponseSchemas } from '../decisions/decisions.openapi';

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

const incidentRef = { name: 'ref', in: 'path', required: true, schema: { type: 'string' }, description: 'incident id (UUID) or number (INC-YYYYMMDD-NNNN)' };
/** Answers of a command on one incident. */
const incidentCommandResponses = (success: Record<string, object>) => ({
  ...success,
  '400': problemResponse('invalid reference or body (errors point at each field)'),
  ...authProblems('incidents:write'),
  '404': problemResponse('no such incident in this organisation'),
  '409': problemResponse("the incident's status forbids it (a transition not allowed from here, or a change to a closed incident)"),
  '422': problemResponse('a field this change requires is missing (reason to reopen, lessonsLearned to close)'),
  ...queryProblems('incident'),
});

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
    ...decisionRequestSchemas,
    IncidentCreateRequest: createIncidentBodyV1,
    IncidentUpdateRequest: updateIncidentBodyV1,
    IncidentTransitionRequest: transitionBodyV1,
    IncidentAssignRequest: assignBodyV1,
    IncidentNoteRequest: noteBodyV1,
    AffectedPeopleRequest: affectedPeopleBodyV1,
    TaskUpdateRequest: taskUpdateBodyV1,
    ObligationReportRequest: obligationReportRequestV1,
    ComplianceProfileRequest: complianceProfileBodyV1,
    DrillRecipientsRequest: drillRecipientsV1,
    NotificationRequest: notificationRequestBodyV1,
    PlaybookTemplateRequest: playbookTemplateBodyV1,
  });
  const responseSchemas = components('output', {
    FieldError: fieldErrorSchema,
    Problem: problemDetailsSchema,
    SubmissionOutcome: submissionOutcomeV1,
    Incident: incidentViewV1,
    IncidentPage: incidentPageV1,
    AffectedPeopleAdded: affectedPeopleAddedV1View,
    TimelineVerification: timelineVerificationV1,
    BreachSummary: breachSummaryViewV1,
    DeadLetter: deadLetterViewV1,
    DeadLetterPage: deadLetterPageV1,
    ApiKey: apiKeyViewV1,
    ApiKeyCreated: apiKeyCreatedV1,
    ApiKeyList: apiKeyListV1,
    ChainVerification: chainVerificationV1,
    ...decisionResponseSchemas,
    IncidentObligations: incidentObligationsV1,
    RegimeList: regimeListV1,
    ComplianceProfile: complianceProfileV1,
    DrillRecipients: drillRecipientsV1,
    DetectionRule: detectionRuleViewV1,
    DetectionRuleList: z.object({ rules: z.array(detectionRuleViewV1) }),
    NotificationRequestRecorded: notificationRequestViewV1,
    DrillReport: drillReportV1,
    PlaybookTemplate: playbookTemplateV1,
  });
  // Incident filters are transformed after parsing (comma lists): describe what the caller sends.
  const queryParameters = (shape: Record<string, z.ZodType>, io: 'input' | 'output') =>
    Object.entries(shape).map(([name, schema]) => {
      const { $schema: _schema, description, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
      return { name, in: 'query', required: false, schema: rest, description };
    });
  const listParameters = queryParameters(deadLetterListParamsV1.shape, 'output');

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
      '/v1/incidents': {
        get: {
          summary: "The organisation's incidents, newest first",
          parameters: queryParameters(incidentListParamsV1.shape, 'input'),
          responses: { '200': ok('one page; follow nextCursor for the next', 'IncidentPage'), '400': problemResponse('invalid filter, limit or cursor'), ...authProblems('incidents:read'), ...queryProblems('incident') },
        },
        post: {
          summary: 'Report an incident by hand, with the facts known so far',
          description: 'Gets the next INC-YYYYMMDD-NNNN of the day, the severity of the classification table (or the override, with its reason), the six playbook tasks due from discoveredAt, and `incident.created`. Drills (`drill: true`) are left out of statistics.',
          parameters: [{ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', maxLength: 255 }, description: 'a retry with the same key answers the incident it created instead of opening another' }],
          requestBody: { required: true, content: json(componentRef('IncidentCreateRequest')) },
          responses: { '201': ok('the incident', 'Incident'), '400': problemResponse('invalid facts (errors point at each field)'), ...authProblems('incidents:write'), ...queryProblems('incident') },
        },
      },
      '/v1/incidents/{ref}': {
        get: {
          summary: 'One incident with its timeline',
          parameters: [incidentRef],
          responses: {
            '200': ok('the incident', 'Incident'),
            '400': problemResponse('not a UUID or incident number'),
            ...authProblems('incidents:read'),
            '404': problemResponse('no such incident in this organisation'),
            ...queryProblems('incident'),
          },
        },
        patch: {
          summary: "Correct or add to an incident's facts; set or clear a severity override",
          description: 'Severity is recomputed from the facts; an override (with a reason) stays until cleared with null. Emits `incident.updated`.',
          parameters: [incidentRef],
          requestBody: { required: true, content: json(componentRef('IncidentUpdateRequest')) },
          responses: incidentCommandResponses({ '200': ok('the incident after the change', 'Incident') }),
        },
      },
      '/v1/incidents/{ref}/transitions': {
        post: {
          summary: 'Move an incident along its lifecycle',
          description: 'investigating → contained → resolved → closed; back to investigating only as a reopen, with a reason. Closing needs lessonsLearned. The transition sets its own timestamp (containedAt, resolvedAt, closedAt, reopenedAt). Emits `incident.status_changed`.',
          parameters: [incidentRef],
          requestBody: { required: true, content: json(componentRef('IncidentTransitionRequest')) },
          responses: incidentCommandResponses({ '200': ok('the incident in its new status', 'Incident') }),
        },
      },
      '/v1/incidents/{ref}/assignment': {
        post: {
          summary: 'Assign the incident (null unassigns)',
          parameters: [incidentRef],
          requestBody: { required: true, content: json(componentRef('IncidentAssignRequest')) },
          responses: incidentCommandResponses({ '200': ok('the incident', 'Incident') }),
        },
      },
      '/v1/incidents/{ref}/notes': {
        post: {
          summary: 'Add a note to the timeline',
          parameters: [incidentRef],
          requestBody: { required: true, content: json(componentRef('IncidentNoteRequest')) },
          responses: incidentCommandResponses({ '201': ok('the incident with the note', 'Incident') }),
        },
      },
      '/v1/incidents/{ref}/affected-people': {
        post: {
          summary: 'Add affected people in bulk (up to 10,000 per call)',
          description: 'A subjectId already recorded for the incident is skipped, so a resent batch adds nothing. Severity is recomputed from the count. Emits `incident.affected_people_added`.',
          parameters: [incidentRef],
          requestBody: { required: true, content: json(componentRef('AffectedPeopleRequest')) },
          responses: incidentCommandResponses({ '200': ok('how many were added, skipped as duplicates, and the total', 'AffectedPeopleAdded') }),
        },
      },
      '/v1/incidents/{ref}/tasks/{taskId}': {
        patch: {
          summary: 'Assign or complete a playbook task',
          parameters: [incidentRef, { name: 'taskId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' }, description: 'task id' }],
          requestBody: { required: true, content: json(componentRef('TaskUpdateRequest')) },
          responses: incidentCommandResponses({ '200': ok('the incident with its tasks', 'Incident') }),
        },
      },
      '/v1/incidents/{ref}/timeline/verify': {
        get: {
          summary: "Verify the incident's hash-chained timeline",
          description: 'Recomputes every entry\'s hash and names the first that fails: altered, removed or reordered.',
          parameters: [incidentRef],
          responses: {
            '200': ok('intact, or where and how the timeline is broken', 'TimelineVerification'),
            '400': problemResponse('not a UUID or incident number'),
            ...authProblems('incidents:read'),
            '404': problemResponse('no such incident in this organisation'),
            ...queryProblems('incident'),
          },
        },
      },
      '/v1/incidents/{ref}/notification-requests': {
        post: {
          summary: 'Request notification of the affected people (all recorded, or chosen subjectIds)',
          description:
            'Recorded in the timeline and announced as `incident.notification_requested` (drill=true for a drill, which is never sent). A request while another is pending is allowed; each has its own id. 409 when no affected people are recorded or the incident is closed; 422 when a subjectId is not an affected person of the incident.',
          parameters: [incidentRef],
          requestBody: { required: true, content: json(componentRef('NotificationRequest')) },
          responses: incidentCommandResponses({ '201': ok('the request as recorded', 'NotificationRequestRecorded') }),
        },
      },
      '/v1/incidents/{ref}/drill-report': {
        get: {
          summary: 'How long each step of a drill took',
          description: 'From discovery: the first time the drill was contained, resolved and closed; each task against its deadline (met, missed, pending, overdue); the first notification request; the total.',
          parameters: [incidentRef],
          responses: {
            '200': ok('the report, computed now', 'DrillReport'),
            '400': problemResponse('not a UUID or incident number'),
            ...authProblems('incidents:read'),
            '404': problemResponse('no such incident in this organisation'),
            '409': problemResponse('the incident is not a drill'),
            ...queryProblems('incident'),
          },
        },
      },
      '/v1/playbook-template': {
        get: {
          summary: "The organisation's playbook template: the tasks new incidents start with",
          responses: { '200': ok('the template (the seed default, custom=false, until set)', 'PlaybookTemplate'), ...authProblems('incidents:read'), ...queryProblems('incident') },
        },
        put: {
          summary: "Replace the organisation's playbook template (up to 50 tasks in the seed's six phases)",
          description: 'Applies to incidents created afterwards; open incidents keep their tasks.',
          requestBody: { required: true, content: json(componentRef('PlaybookTemplateRequest')) },
          responses: { '200': ok('the template', 'PlaybookTemplate'), '400': problemResponse('invalid body (errors point at each field)'), ...authProblems('admin'), ...queryProblems('incident') },
        },
      },
      '/v1/incidents/{ref}/obligations': {
        get: {
          summary: "The incident's regulatory obligations",
          description: 'Per regime and audience: whether it applies and why, the due instant (or null with the reason), the clock start used, the notice content, status and the citation. Drills have none.',
          parameters: [incidentRef],
          responses: {
            '200': ok('the obligations, computed now', 'IncidentObligations'),
            '400': problemResponse('not a UUID or incident number'),
            ...authProblems('incidents:read'),
            '404': problemResponse('no such incident in this organisation'),
            ...queryProblems('incident'),
          },
        },
      },
      '/v1/incidents/{ref}/obligations/reports': {
        post: {
          summary: 'Record a report made under one obligation rule (e.g. to the authority, with its reference)',
          description: 'Checked against the obligation as it stands: a late report under a rule that asks for them (GDPR Art. 33(1)) needs `reasonsForDelay`. Written to the timeline.',
          parameters: [incidentRef],
          requestBody: { required: true, content: json(componentRef('ObligationReportRequest')) },
          responses: incidentCommandResponses({ '201': ok('the obligations after the report', 'IncidentObligations') }),
        },
      },
      '/v1/regimes': {
        get: {
          summary: 'The regime and rule table in force (defaults merged with the deployment override)',
          responses: { '200': ok('every regime with its rules and citations', 'RegimeList'), ...authProblems('incidents:read'), ...queryProblems('incident') },
        },
      },
      '/v1/drill-recipients': {
        get: {
          summary: "Who receives a drill's notices instead of the admins",
          responses: { '200': ok('the drill recipients (empty: drills send nothing)', 'DrillRecipients'), ...authProblems('incidents:read'), ...queryProblems('notification') },
        },
        put: {
          summary: "Replace the organisation's drill recipients",
          requestBody: { required: true, content: json(componentRef('DrillRecipientsRequest')) },
          responses: {
            '200': ok('the drill recipients', 'DrillRecipients'),
            '400': problemResponse('invalid body (errors point at each field)'),
            ...authProblems('admin'),
            '409': problemResponse('notification does not know the organisation yet (retry)'),
            ...queryProblems('notification'),
          },
        },
      },
      '/v1/compliance-profile': {
        get: {
          summary: "The organisation's compliance profile: which entity-scoped regimes bind it",
          responses: { '200': ok('the flags (false until set)', 'ComplianceProfile'), ...authProblems('incidents:read'), ...queryProblems('incident') },
        },
        put: {
          summary: 'Change compliance profile flags (the others keep their value)',
          requestBody: { required: true, content: json(componentRef('ComplianceProfileRequest')) },
          responses: { '200': ok('the profile', 'ComplianceProfile'), '400': problemResponse('invalid body (errors point at each field)'), ...authProblems('admin'), ...queryProblems('incident') },
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
      ...decisionPaths({ json, componentRef, ok, problemResponse, authProblems, queryProblems }),
    },
  };
}
