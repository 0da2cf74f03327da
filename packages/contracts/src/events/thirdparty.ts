import { z } from 'zod';
import { defineEvent } from '../registry';
import { userIdField } from './shared';

export const dataCategorySchema = z
  .enum(['identity', 'contact', 'location', 'financial', 'health', 'biometric', 'behavioural', 'device', 'credentials', 'communications', 'other'])
  .describe('Category of personal data');
export type DataCategory = z.infer<typeof dataCategorySchema>;

/** Personal data handed to another company: what a breach notification must list as recipients. */
export const thirdPartySharedV1 = defineEvent({
  type: 'thirdparty.shared',
  version: 1,
  schema: z
    .object({
      service: z.string().min(1).max(200).describe('The third party, e.g. `stripe.com`'),
      dataCategories: z.array(dataCategorySchema).min(1).max(16).describe('Categories of data shared'),
      purpose: z.string().min(1).max(512).describe('Why the data was shared'),
      userId: userIdField.optional(),
      consentObtained: z.boolean().describe('Whether the user consented to this sharing'),
      sensitive: z.boolean().describe('Whether special-category (sensitive) data was included'),
    })
    .strict()
    .describe('Personal data shared with a third party'),
});
export type ThirdPartySharedV1 = z.infer<typeof thirdPartySharedV1.schema>;

export const thirdPartySharedExample: ThirdPartySharedV1 = {
  service: 'analytics.example',
  dataCategories: ['contact', 'behavioural'],
  purpose: 'product analytics',
  userId: 'usr_77',
  consentObtained: true,
  sensitive: false,
};
