import { z } from 'zod';
import { decisionCheckParamsV1, decisionCheckV1, decisionListParamsV1, decisionPageV1, decisionPolicySchema, decisionPolicyViewV1, decisionRevokeRequestV1, decisionSchema, watchlistCreateRequestV1, watchlistEntryV1, watchlistPageV1 } from '@vigil/contracts';

/** Components and paths of /v1/decisions and /v1/watchlist, merged into the gateway's OpenAPI document. */
export const decisionRequestSchemas = { DecisionRevokeRequest: decisionRevokeRequestV1, DecisionPolicy: decisionPolicySchema, WatchlistCreateRequest: watchlistCreateRequestV1 };
export const decisionResponseSchemas = {
  Decision: decisionSchema,
  DecisionPage: decisionPageV1,
  DecisionCheck: decisionCheckV1,
  DecisionPolicyView: decisionPolicyViewV1,
  WatchlistEntry: watchlistEntryV1,
  WatchlistPage: watchlistPageV1,
};

type Helpers = {
  json: (schema: object) => object;
  componentRef: (name: string) => object;
  ok: (description: string, component: string) => object;
  problemResponse: (description: string) => object;
  authProblems: (scope: string) => object;
  queryProblems: (owner: string) => object;
};

function queryParameters(shape: Record<string, z.ZodType>) {
  return Object.entries(shape).map(([name, schema]) => {
    const { $schema: _schema, description, ...rest } = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
    return { name, in: 'query', required: false, schema: rest, description };
  });
}

export function decisionPaths(h: Helpers) {
  const id = (what: string) => ({ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' }, description: `${what} id` });
  const detection = h.queryProblems('detection');
  return {
    '/v1/decisions': {
      get: {
        summary: 'Response decisions, as a change feed',
        description:
          'Decisions created or revoked after `since`, oldest change first; a revoked decision appears again. A login service polls with the last `nextCursor` (unchanged when nothing happened). Poll without `active` to see revocations.',
        parameters: queryParameters(decisionListParamsV1.shape),
        responses: { '200': h.ok('one page and the cursor to continue from', 'DecisionPage'), '400': h.problemResponse('invalid parameter (errors name it)'), ...h.authProblems('decisions:read'), ...detection },
      },
    },
    '/v1/decisions/check': {
      get: {
        summary: 'Is this login attempt blocked now?',
        description: 'The hot path of a login service: decisions in force for the IP (block_ip, CIDR containment) or the account (lock_account, force_password_reset, require_mfa). Not audited.',
        parameters: queryParameters(decisionCheckParamsV1.shape),
        responses: { '200': h.ok('blocked, and the decisions in force', 'DecisionCheck'), '400': h.problemResponse('neither ip nor account, or not an IP'), ...h.authProblems('decisions:read'), ...detection },
      },
    },
    '/v1/decisions/policy': {
      get: { summary: 'The decision policy: defaults, overrides, effective', responses: { '200': h.ok('the policy', 'DecisionPolicyView'), ...h.authProblems('admin'), ...detection } },
      put: {
        summary: "Replace the organisation's policy overrides",
        description: 'Per rule id, the decisions its detections make (`[]`: none). Rules not named keep the defaults. Effective for the next detection.',
        requestBody: { required: true, content: h.json(h.componentRef('DecisionPolicy')) },
        responses: { '200': h.ok('the policy now', 'DecisionPolicyView'), '400': h.problemResponse('invalid policy (errors name each field)'), ...h.authProblems('admin'), ...detection },
      },
    },
    '/v1/decisions/{id}': {
      get: {
        summary: 'One decision',
        parameters: [id('decision')],
        responses: { '200': h.ok('the decision', 'Decision'), '400': h.problemResponse('not a UUID'), ...h.authProblems('decisions:read'), '404': h.problemResponse('no such decision in this organisation'), ...detection },
      },
    },
    '/v1/decisions/{id}/revoke': {
      post: {
        summary: 'Revoke a decision',
        description: 'It stops being in force at once and is published as decision.revoked. A revoked decision does not count as an earlier offence.',
        parameters: [id('decision')],
        requestBody: { required: true, content: h.json(h.componentRef('DecisionRevokeRequest')) },
        responses: {
          '200': h.ok('the revoked decision', 'Decision'),
          '400': h.problemResponse('not a UUID, or no reason'),
          ...h.authProblems('admin'),
          '404': h.problemResponse('no such decision in this organisation'),
          '409': h.problemResponse('already revoked'),
          ...detection,
        },
      },
    },
    '/v1/watchlist': {
      get: { summary: 'Monitored domains and email addresses', responses: { '200': h.ok('every entry, oldest first', 'WatchlistPage'), ...h.authProblems('admin'), ...detection } },
      post: {
        summary: 'Monitor a domain or an email address in breach feeds',
        description: 'Each new (address, breach) pair found by the Have I Been Pwned connector becomes one credential.exposed event. A domain must be verified in the HIBP domain-search dashboard of the configured key.',
        requestBody: { required: true, content: h.json(h.componentRef('WatchlistCreateRequest')) },
        responses: {
          '201': h.ok('the new entry', 'WatchlistEntry'),
          '200': h.ok('already watched: the existing entry', 'WatchlistEntry'),
          '400': h.problemResponse('invalid kind, domain or email (errors name each field)'),
          ...h.authProblems('admin'),
          ...detection,
        },
      },
    },
    '/v1/watchlist/{id}': {
      get: { summary: 'One watchlist entry', parameters: [id('watchlist entry')], responses: { '200': h.ok('the entry', 'WatchlistEntry'), '400': h.problemResponse('not a UUID'), ...h.authProblems('admin'), '404': h.problemResponse('no such entry in this organisation'), ...detection } },
      delete: {
        summary: 'Stop monitoring an entry',
        description: 'Exposures already reported stay reported: adding the entry again does not repeat them.',
        parameters: [id('watchlist entry')],
        responses: { '200': h.ok('the removed entry', 'WatchlistEntry'), '400': h.problemResponse('not a UUID'), ...h.authProblems('admin'), '404': h.problemResponse('no such entry in this organisation'), ...detection },
      },
    },
  };
}
