import type {
  AccessDeniedV1,
  AccountMfaDisabledV1,
  AccountMfaEnabledV1,
  AccountPasswordChangedV1,
  AdminActionV1,
  CredentialExposedV1,
  DataExportV1,
  FieldError,
  LoginFailedV1,
  LoginSucceededV1,
  ThirdPartySharedV1,
} from '@vigil/contracts';

/**
 * The data of each event type a producer may send, from @vigil/contracts. A spec checks these keys
 * against `producerEventDefinitions`, so a new producer contract cannot ship without its SDK type.
 */
export interface ProducerEventDataMap {
  'login.failed': LoginFailedV1;
  'login.succeeded': LoginSucceededV1;
  'admin.action': AdminActionV1;
  'data.export': DataExportV1;
  'access.denied': AccessDeniedV1;
  'thirdparty.shared': ThirdPartySharedV1;
  'credential.exposed': CredentialExposedV1;
  'account.password_changed': AccountPasswordChangedV1;
  'account.mfa_enabled': AccountMfaEnabledV1;
  'account.mfa_disabled': AccountMfaDisabledV1;
}
export type ProducerEventType = keyof ProducerEventDataMap;
export const producerEventTypes = [
  'login.failed',
  'login.succeeded',
  'admin.action',
  'data.export',
  'access.denied',
  'thirdparty.shared',
  'credential.exposed',
  'account.password_changed',
  'account.mfa_enabled',
  'account.mfa_disabled',
] as const satisfies readonly ProducerEventType[];

/** A CloudEvent as the SDK sends it (structured JSON mode; the gateway stamps `orgid` from the key). */
export interface ProducerEvent<T extends ProducerEventType = ProducerEventType> {
  specversion: '1.0';
  id: string;
  source: string;
  type: T;
  time: string;
  subject?: string;
  data: ProducerEventDataMap[T];
}

export interface EmitOptions {
  /** Your own event id; default a random UUID. Reused on every retry, so a retry is never stored twice. */
  id?: string;
  /** When it happened; default now. */
  time?: Date | string;
  /** CloudEvents `subject`, e.g. the account the event is about. */
  subject?: string;
}

export interface RejectedEvent {
  event: ProducerEvent;
  /** Pointers are relative to the event, e.g. `/data/ip` (the gateway's batch index is removed). */
  errors: FieldError[];
}

export interface FailedEvent {
  event: ProducerEvent;
  error: Error;
}

/** Outcome of the events a `flush()` (or `close()`) waited for. */
export interface FlushResult {
  /** Stored durably by this request. */
  accepted: number;
  /** Already stored under the same (source, id): by an earlier attempt whose answer was lost, or an earlier emit. */
  duplicates: number;
  /** Refused by the gateway, with why; never retried. */
  rejected: RejectedEvent[];
}

export type EventOutcome =
  | { status: 'accepted' | 'duplicate' }
  | { status: 'rejected'; errors: FieldError[] }
  | { status: 'failed'; error: Error };
