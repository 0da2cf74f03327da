import { ProblemException } from '@vigil/platform';

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A path id as the owner stores it, or a 400 naming `/id`. */
export function checkedId(id: string, what: string): string {
  if (!uuidPattern.test(id)) throw new ProblemException({ status: 400, title: 'Bad Request', detail: `a ${what} id is a UUID`, errors: [{ pointer: '/id', message: 'not a UUID' }] });
  return id.toLowerCase();
}
