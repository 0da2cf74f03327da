import { streams } from '@vigil/contracts';
import { CONFIG, serviceModule } from '@vigil/platform';
import type { NotificationConfig } from './config';
import { migrations } from './db/migrations';
import { AdminAlertTemplates } from './alerts/admin-alert';
import { EMAIL_PROVIDER } from './email/email-provider';
import { createEmailProvider } from './email/email-provider.factory';
import { DeliveryRepository } from './delivery/delivery.repository';
import { DeliveryWorker } from './delivery/delivery.worker';
import { NotificationRepository } from './notifications/notification.repository';
import { ADMIN_ALERT_TEMPLATES, NotificationHandlers } from './notifications/notification.handlers';
import { DrillRecipientsController } from './notifications/drill-recipients.controller';

export const notificationService = {
  service: 'notification',
  schema: 'notification',
  migrations,
  streams: [streams.incidents, streams.orgs, streams.deadLetters],
  outbox: false,
} as const;

export const AppModule = serviceModule<NotificationConfig>(notificationService, {
  controllers: [DrillRecipientsController],
  providers: [
    // Compiled once at start-up; a missing or broken template fails the start, not the first alert.
    { provide: ADMIN_ALERT_TEMPLATES, useFactory: () => AdminAlertTemplates.load() },
    { provide: EMAIL_PROVIDER, inject: [CONFIG], useFactory: (config: NotificationConfig) => createEmailProvider(config) },
    NotificationRepository,
    NotificationHandlers,
    DeliveryRepository,
    DeliveryWorker,
  ],
});
