import { z } from 'zod';

export const severitySchema = z.enum(['low', 'medium', 'high', 'critical']);
export type Severity = z.infer<typeof severitySchema>;

export const incidentStatusSchema = z.enum(['investigating', 'contained', 'resolved', 'closed']);
export type IncidentStatus = z.infer<typeof incidentStatusSchema>;

/** INC-YYYYMMDD-NNNN: per organisation and UTC day. */
export const incidentNumberSchema = z.string().regex(/^INC-\d{8}-\d{4,}$/);
