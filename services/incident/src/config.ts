import { z } from 'zod';
import { baseEnvSchema } from '@vigil/platform';
import { obligationsEnvSchema } from './obligations/regime-table';

/** Environment of the incident service: the shared variables plus the detection merge rule. */
export const incidentEnvSchema = baseEnvSchema.extend({
  PORT: baseEnvSchema.shape.PORT.default(8083),
  /**
   * A detection merges into the open incident of its correlation key unless the attack was quiet for
   * longer than this (event time from the incident's last seen to the detection's window start).
   */
  INCIDENT_MERGE_QUIET_HOURS: z.coerce.number().positive().default(24),
  /** How often the deadline monitor looks at open incidents' obligations. */
  VIGIL_DEADLINE_MONITOR_MS: z.coerce.number().int().min(100).default(60_000),
  ...obligationsEnvSchema.shape,
});
export type IncidentConfig = z.infer<typeof incidentEnvSchema>;
