import { loadConfig } from '@vigil/platform';
import { notificationEnvSchema } from './config';

const base = { DATABASE_URL: 'postgres://vigil_notification@127.0.0.1:5432/vigil' };

describe('notification config', () => {
  it('defaults to SMTP on the local sink and port 8084', () => {
    const c = loadConfig(notificationEnvSchema, base, 'notification');
    expect(c).toMatchObject({ PORT: 8084, EMAIL_TRANSPORT: 'smtp', SMTP_URL: 'smtp://127.0.0.1:1025', EMAIL_FROM: 'Vigil <alerts@vigil.local>' });
  });

  it('names each bad variable', () => {
    expect(() =>
      loadConfig(notificationEnvSchema, { ...base, EMAIL_TRANSPORT: 'pigeon', SMTP_URL: 'http://x', PUBLIC_CONSOLE_URL: 'javascript:alert(1)' }, 'notification'),
    ).toThrow(/EMAIL_TRANSPORT: must be "smtp" or "ses"[\s\S]*SMTP_URL: must be an smtp:\/\/[\s\S]*PUBLIC_CONSOLE_URL: must be an http/);
  });

  it('requires AWS_REGION for SES', () => {
    expect(() => loadConfig(notificationEnvSchema, { ...base, EMAIL_TRANSPORT: 'ses' }, 'notification')).toThrow(/AWS_REGION: is required when EMAIL_TRANSPORT=ses/);
    const c = loadConfig(notificationEnvSchema, { ...base, EMAIL_TRANSPORT: 'ses', AWS_REGION: 'eu-west-1', SES_ENDPOINT: 'http://127.0.0.1:8005' }, 'notification');
    expect(c.SES_ENDPOINT).toBe('http://127.0.0.1:8005');
  });
});
