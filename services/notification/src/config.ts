import { z } from 'zod';
import { baseEnvSchema } from '@vigil/platform';

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();

/** Environment of the notification service: the shared variables plus email delivery. */
export const notificationEnvSchema = baseEnvSchema
  .extend({
    PORT: baseEnvSchema.shape.PORT.default(8084),
    EMAIL_TRANSPORT: z.enum(['smtp', 'ses'], { error: 'must be "smtp" or "ses"' }).default('smtp'),
    SMTP_URL: z
      .url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL, e.g. smtp://127.0.0.1:1025' })
      .default('smtp://127.0.0.1:1025'),
    EMAIL_FROM: z
      .string()
      .trim()
      .regex(/^[^\r\n]*@[^\r\n]*$/, 'must be one sender address, e.g. "Vigil <alerts@vigil.local>"')
      .default('Vigil <alerts@vigil.local>'),
    AWS_REGION: optionalString,
    SES_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s):// URL, e.g. http://127.0.0.1:8005' }).optional(),
    /** Base URL of the web console; alerts link to the incident there when set. */
    PUBLIC_CONSOLE_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s):// URL, e.g. https://vigil.example.com' }).optional(),
    /** Deliveries of one event before it is dead-lettered (default: the platform's). Tests shorten it. */
  })
  .superRefine((env, ctx) => {
    if (env.EMAIL_TRANSPORT === 'ses' && !env.AWS_REGION) {
      ctx.addIssue({ code: 'custom', path: ['AWS_REGION'], message: 'is required when EMAIL_TRANSPORT=ses (e.g. eu-west-1)' });
    }
  });

export type NotificationConfig = z.infer<typeof notificationEnvSchema>;
