import type { NotificationConfig } from '../config';
import type { EmailProvider } from './email-provider';
import { SesEmailProvider } from './ses-email.provider';
import { SmtpEmailProvider } from './smtp-email.provider';

export function createEmailProvider(config: Pick<NotificationConfig, 'EMAIL_TRANSPORT' | 'SMTP_URL' | 'AWS_REGION' | 'SES_ENDPOINT'>): EmailProvider {
  if (config.EMAIL_TRANSPORT === 'ses') {
    if (!config.AWS_REGION) throw new Error('AWS_REGION is required when EMAIL_TRANSPORT=ses');
    return new SesEmailProvider({ region: config.AWS_REGION, endpoint: config.SES_ENDPOINT });
  }
  return new SmtpEmailProvider(config.SMTP_URL);
}
