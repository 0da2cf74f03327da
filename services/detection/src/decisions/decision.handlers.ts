import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { Transaction } from 'kysely';
import { accountMfaEnabledV1, accountPasswordChangedV1, detectionTriggeredV1, streams } from '@vigil/contracts';
import { ServiceRuntime } from '@vigil/platform';
import { DecisionService } from './decision.service';
import type { ResponseDatabase } from './tables';

export const DECISIONS_DURABLE = 'detection-decisions';
export const PASSWORD_CHANGED_DURABLE = 'detection-decisions-password-changed';
export const MFA_ENABLED_DURABLE = 'detection-decisions-mfa-enabled';

/**
 * Detection reads its own detections back (durable consumer + inbox) and decides on each exactly once;
 * the platform's password changes and MFA enrolments end the decisions that asked for them.
 */
@Injectable()
export class DecisionHandlers implements OnModuleInit {
  constructor(
    private readonly runtime: ServiceRuntime,
    private readonly decisions: DecisionService,
  ) {}

  onModuleInit(): void {
    this.runtime.consumeEvents({
      durable: DECISIONS_DURABLE,
      stream: streams.detections,
      definition: detectionTriggeredV1,
      handle: async (e, tx: Transaction<ResponseDatabase>) => {
        await this.decisions.decide(e, tx);
      },
    });
    this.runtime.consumeEvents({
      durable: PASSWORD_CHANGED_DURABLE,
      stream: streams.security,
      definition: accountPasswordChangedV1,
      handle: async (e, tx: Transaction<ResponseDatabase>) => {
        await this.decisions.fulfil(e, 'force_password_reset', tx);
      },
    });
    this.runtime.consumeEvents({
      durable: MFA_ENABLED_DURABLE,
      stream: streams.security,
      definition: accountMfaEnabledV1,
      handle: async (e, tx: Transaction<ResponseDatabase>) => {
        await this.decisions.fulfil(e, 'require_mfa', tx);
      },
    });
  }
}
