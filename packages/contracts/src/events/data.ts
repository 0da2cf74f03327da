import { z } from 'zod';
import { defineEvent } from '../registry';
import { actorField, ipField, resourceField } from './shared';

/** Records left the system in bulk: the raw material for "whose data was taken" after a breach. */
export const dataExportV1 = defineEvent({
  type: 'data.export',
  version: 1,
  schema: z
    .object({
      actor: actorField,
      resource: resourceField,
      recordCount: z.number().int().nonnegative().max(1e12).describe('Number of records exported'),
      bytes: z.number().int().nonnegative().max(1e15).optional().describe('Size of the export in bytes'),
      subjectIds: z
        .array(z.string().min(1).max(128))
        .max(1000)
        .optional()
        .describe('Ids of the people whose records were exported, when known (at most 1000; omit for larger exports)'),
      format: z.string().min(1).max(32).optional().describe('File format, e.g. csv, json'),
      ip: ipField.optional(),
    })
    .strict()
    .describe('A bulk export of records'),
});
export type DataExportV1 = z.infer<typeof dataExportV1.schema>;

export const dataExportExample: DataExportV1 = {
  actor: 'bob@acme.test',
  resource: 'crm.customers',
  recordCount: 1250,
  bytes: 482_113,
  subjectIds: ['cus_1', 'cus_2'],
  format: 'csv',
  ip: '198.51.100.23',
};
