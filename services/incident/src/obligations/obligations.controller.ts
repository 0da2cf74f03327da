import { Controller, Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { Logger } from 'pino';
import {
  complianceProfileGetQueryV1,
  complianceProfilePutCommandV1,
  incidentObligationsQueryV1,
  obligationReportCommandV1,
  regimesListQueryV1,
  zodErrors,
  type QueryReply,
} from '@vigil/contracts';
import { CONFIG, LOGGER } from '@vigil/platform';
import type { IncidentConfig } from '../config';
import { CommandError } from '../incidents/incident.service';
import { ObligationsService } from './obligations.service';

/** Obligations, the regime table and the compliance profile over request/reply (queue group `incident`). */
@Controller()
export class ObligationsController {
  constructor(private readonly obligations: ObligationsService) {}

  @MessagePattern(regimesListQueryV1.subject)
  regimes(): QueryReply<typeof regimesListQueryV1> {
    return { regimes: this.obligations.regimes };
  }

  @MessagePattern(incidentObligationsQueryV1.subject)
  async forIncident(@Payload() payload: unknown): Promise<QueryReply<typeof incidentObligationsQueryV1>> {
    const req = incidentObligationsQueryV1.request.safeParse(payload);
    if (!req.success) return { error: 'bad-request', detail: req.error.issues.map((i) => i.message).join('; ') };
    return incidentObligationsQueryV1.reply.parse({ obligations: await this.obligations.forIncident(req.data.orgId, req.data.ref) });
  }

  @MessagePattern(obligationReportCommandV1.subject)
  async report(@Payload() payload: unknown): Promise<QueryReply<typeof obligationReportCommandV1>> {
    const req = obligationReportCommandV1.request.safeParse(payload);
    if (!req.success) return { error: 'bad-request', detail: 'invalid request', errors: zodErrors(req.error).map((e) => ({ ...e, pointer: e.pointer.replace(/^\/body(?=\/|$)/, '') || '/' })) };
    try {
      return { obligations: await this.obligations.recordReport(req.data.orgId, req.data.ref, req.data.actor, req.data.body) };
    } catch (err) {
      if (err instanceof CommandError) return err.reply;
      throw err;
    }
  }

  @MessagePattern(complianceProfileGetQueryV1.subject)
  async profile(@Payload() payload: unknown): Promise<QueryReply<typeof complianceProfileGetQueryV1>> {
    const req = complianceProfileGetQueryV1.request.safeParse(payload);
    if (!req.success) return { error: 'bad-request', detail: req.error.issues.map((i) => i.message).join('; ') };
    return { profile: await this.obligations.profile(req.data.orgId) };
  }

  @MessagePattern(complianceProfilePutCommandV1.subject)
  async setProfile(@Payload() payload: unknown): Promise<QueryReply<typeof complianceProfilePutCommandV1>> {
    const req = complianceProfilePutCommandV1.request.safeParse(payload);
    if (!req.success) return { error: 'bad-request', detail: 'invalid request', errors: zodErrors(req.error).map((e) => ({ ...e, pointer: e.pointer.replace(/^\/body(?=\/|$)/, '') || '/' })) };
    return { profile: await this.obligations.setProfile(req.data.orgId, req.data.body) };
  }
}

/**
 * Watches the legal clocks: every VIGIL_DEADLINE_MONITOR_MS, one pass over open incidents queues the
 * deadline warnings and misses that are due (each once, see ObligationsService.monitorPass). Passes
 * never overlap; a failed pass is logged and the next one tries again.
 */
@Injectable()
export class DeadlineMonitor implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly obligations: ObligationsService,
    @Inject(CONFIG) private readonly config: IncidentConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.obligations
        .monitorPass()
        .then((queued) => {
          if (queued) this.log.info({ queued }, 'deadline notices queued');
        })
        .catch((err: unknown) => this.log.warn({ err }, 'deadline monitor pass failed; next pass retries'))
        .finally(() => {
          this.running = undefined;
        });
    }, this.config.VIGIL_DEADLINE_MONITOR_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
