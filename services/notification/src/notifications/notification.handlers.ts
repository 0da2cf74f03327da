import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { Transaction } from 'kysely';
import type { Logger } from 'pino';
import {
  deriveId,
  incidentCreatedV1,
  orgCreatedV1,
  streams,
  type IncidentCreatedV1,
  type OrgCreatedV1,
  type VigilEvent,
} from '@vigil/contracts';
import { PermanentMessageError } from '@vigil/messaging';
import { CONFIG, LOGGER, ServiceRuntime } from '@vigil/platform';
import type { NotificationConfig } from '../config';
import type { NotificationDatabase } from '../db/schema';
import { AdminAlertTemplates, adminAlertModel } from '../alerts/admin-alert';
import { NotificationRepository } from './notification.repository';

type Tx = Transaction<NotificationDatabase>;

export const ADMIN_ALERT_TEMPLATES = Symbol('notification.admin-alert-templates');

/** Keeps notification's read model of orgs and turns each new incident into one admin alert. */
@Injectable()
export class NotificationHandlers implements OnModuleInit {
  constructor(
    private readonly runtime: ServiceRuntime,
    private readonly repo: NotificationRepository,
    @Inject(ADMIN_ALERT_TEMPLATES) private readonly templates: AdminAlertTemplates,
    @Inject(CONFIG) private readonly config: NotificationConfig,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onModuleInit(): void {
    this.runtime.consumeEvents({ durable: 'notification-org-created', stream: streams.orgs, definition: orgCreatedV1, handle: (e, tx: Tx) => this.onOrgCreated(e, tx) });
    this.runtime.consumeEvents({ durable: 'notification-incident-created', stream: streams.incidents, definition: incidentCreatedV1, handle: (e, tx: Tx) => this.onIncidentCreated(e, tx) });
  }

  async onOrgCreated(event: VigilEvent<'org.created', OrgCreatedV1>, tx: Tx): Promise<void> {
    const d = event.data;
    if (d.orgId !== event.orgid) throw new PermanentMessageError(`data.orgId ${d.orgId} does not match the event's orgid ${event.orgid}`);
    const recipients = [...new Set(d.adminRecipients.map((r) => r.trim().toLowerCase()))];
    await this.repo.upsertOrg(tx, { id: d.orgId, name: d.name }, recipients);
    this.log.info({ orgId: d.orgId, recipients: recipients.length }, 'org recorded');
  }

  /**
   * One admin alert per incident: the notification (rendered now, so every retry sends the same
   * bytes) and one pending delivery per admin, in the inbox transaction. The unique
   * (org, incident, kind) key makes a second incident.created for the same incident a no-op even under
   * another event id.
   */
  async onIncidentCreated(event: VigilEvent<'incident.created', IncidentCreatedV1>, tx: Tx): Promise<void> {
    const d = event.data;
    const orgId = event.orgid;
    const org = await this.repo.findOrgWithRecipients(tx, orgId);
    // Retryable: org.created travels on another stream and may simply not have arrived yet. After the
    // bounded redeliveries the event is dead-lettered with this reason.
    if (!org) throw new Error(`org ${orgId} is unknown to notification (no org.created received yet); cannot alert on ${d.number}`);

    const notificationId = deriveId('notification', orgId, d.incidentId, 'admin_alert');
    const content = this.templates.render(adminAlertModel(d, org.name, this.config.PUBLIC_CONSOLE_URL));
    const created = await this.repo.insertNotification(tx, {
      id: notificationId,
      org_id: orgId,
      incident_id: d.incidentId,
      incident_number: d.number,
      kind: 'admin_alert',
      subject: content.subject,
      text_body: content.text,
      html_body: content.html,
      source_event_id: event.id,
    });
    if (!created) {
      this.log.info({ orgId, incident: d.number, eventId: event.id }, 'admin alert already exists for this incident; nothing to do');
      return;
    }
    // A tabletop exercise must never reach the admins as a real breach: its alert (marked DRILL) goes to
    // the org's drill recipients only, and is recorded without deliveries when it has none.
    const recipients = d.drill ? org.drillRecipients : org.recipients;
    if (!recipients.length) {
      this.log.warn({ orgId, incident: d.number, drill: !!d.drill }, `org has no ${d.drill ? 'drill' : 'admin'} recipients; admin alert recorded without deliveries`);
      return;
    }
    await this.repo.insertDeliveries(
      tx,
      recipients.map((recipient) => ({
        id: deriveId('delivery', notificationId, 'email', recipient),
        notification_id: notificationId,
        org_id: orgId,
        recipient,
      })),
    );
    this.log.info({ orgId, incident: d.number, recipients: recipients.length, drill: !!d.drill }, 'admin alert queued');
  }
}
