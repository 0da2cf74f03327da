import type { Generated } from 'kysely';
import type { MessagingTables } from '@vigil/messaging';

/** Notification's read model of organisations, from `org.created`. */
export interface OrgsTable {
  id: string;
  name: string;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** Who gets an org's admin alerts: lower-cased addresses, unique per org. */
export interface OrgAdminRecipientsTable {
  org_id: string;
  email: string;
}

export type NotificationKind = 'admin_alert';

/**
 * One message to send, rendered once when it is created (a retry sends byte-identical content).
 * Unique on (org_id, incident_id, kind): an incident gets one admin alert, whatever event ids say.
 */
export interface NotificationsTable {
  id: string;
  org_id: string;
  incident_id: string;
  incident_number: string;
  kind: NotificationKind;
  subject: string;
  text_body: string;
  html_body: string;
  /** The event that produced it. */
  source_event_id: string;
  created_at: Generated<Date>;
}

export type DeliveryChannel = 'email';
export type DeliveryStatus = 'pending' | 'sending' | 'sent' | 'failed';

/** One notification to one recipient over one channel; unique on (notification_id, channel, recipient). */
export interface DeliveriesTable {
  id: string;
  notification_id: string;
  org_id: string;
  channel: DeliveryChannel;
  recipient: string;
  status: DeliveryStatus;
  attempts: Generated<number>;
  next_attempt_at: Generated<Date>;
  /** When the current (or last) attempt claimed the row; also the fencing token of that attempt. */
  claimed_at: Date | null;
  sent_at: Date | null;
  provider_message_id: string | null;
  last_error: string | null;
  created_at: Generated<Date>;
  updated_at: Generated<Date>;
}

/** Drill notices go to these instead of the admins. */
export interface OrgDrillRecipientsTable {
  org_id: string;
  email: string;
}

export interface NotificationDatabase extends MessagingTables {
  org_drill_recipients: OrgDrillRecipientsTable;
  orgs: OrgsTable;
  org_admin_recipients: OrgAdminRecipientsTable;
  notifications: NotificationsTable;
  deliveries: DeliveriesTable;
}
