import { z } from 'zod';
import { baseEnvSchema } from '@vigil/platform';

/** Environment of the incident service: the shared variables plus the detection merge rule. */
export const incidentEnvSchema = baseEnvSchema.extend({
  PORT: baseEnvSchema.shape.PORT.default(8083),
  /**
   * A detection merges into the open incident of its correlation key unless the attack was quiet for
   * longer than this (event time from the incident's last seen to the detection's window start).
   */
  INCIDENT_MERGE_QUIET_HOURS: z.coerce.number().positive().default(24),
});
export type IncidentConfig = z.infer<typeof incidentEnvSchema>;
