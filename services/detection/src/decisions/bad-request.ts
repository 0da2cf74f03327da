import type { z } from 'zod';

/** The replier's answer to a request it cannot read; the gateway turns it into a 400. */
export function badRequest(error: z.ZodError): { error: 'bad-request'; detail: string } {
  return { error: 'bad-request', detail: error.issues.map((i) => `${i.path.join('.') || '(request)'}: ${i.message}`).join('; ') };
}
