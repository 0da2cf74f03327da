import { Body, Controller, HttpCode, Post, Req, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { PROBLEM_CONTENT_TYPE, problemType } from '@vigil/platform';
import { ApiKeyGuard, RequireScope, type AuthenticatedRequest } from '../auth/api-key.guard';
import { EventSubmissionService, type SubmissionOutcome } from './event-submission.service';
import { binaryModeEvent, structuredModeEvent, submissionMode, unprefixSinglePointers } from './http-modes';

@Controller('v1/events')
@UseGuards(ApiKeyGuard)
export class EventsController {
  constructor(private readonly submissions: EventSubmissionService) {}

  /**
   * CloudEvents over HTTP in three modes (see http-modes.ts): a batch, one structured event, or one
   * binary-mode event (attributes in ce-* headers, data in the body). All end in the same per-event
   * validation. 202: every event stored; 207: some stored, some rejected (see `results`); 400
   * problem+json: none could be accepted. Each rejection names the bad field as a JSON pointer: into
   * the batch (`/3/data/ip`), or, for a single event, into the event itself (`/data/ip`).
   */
  @Post()
  @HttpCode(202)
  @RequireScope('events:write')
  async submit(@Req() req: AuthenticatedRequest, @Body() body: unknown, @Res({ passthrough: true }) reply: FastifyReply) {
    const mode = submissionMode(req.headers);
    let outcome: SubmissionOutcome;
    if (mode === 'batch') outcome = await this.submissions.submit(req.principal.orgId, body, req.principal.eventTypes);
    else {
      const event = mode === 'binary' ? binaryModeEvent(req.headers, body) : structuredModeEvent(body);
      outcome = unprefixSinglePointers(await this.submissions.submit(req.principal.orgId, [event], req.principal.eventTypes));
    }
    if (outcome.rejected === 0) return outcome;
    if (outcome.rejected < outcome.results.length) {
      void reply.status(207);
      return outcome;
    }
    void reply.status(400).header('content-type', PROBLEM_CONTENT_TYPE);
    return {
      type: problemType(400),
      title: 'Bad Request',
      status: 400,
      detail: mode === 'batch' ? `all ${outcome.rejected} events were rejected` : 'the event was rejected',
      errors: outcome.results.flatMap((r) => (r.status === 'rejected' ? r.errors : [])),
      ...outcome,
    };
  }
}
