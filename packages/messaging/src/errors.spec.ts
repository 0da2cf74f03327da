import { PermanentMessageError, classifyFailure } from './errors';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('classifyFailure', () => {
  it('retries what the world got wrong: lost connections, restarts, serialization and deadlock victims', () => {
    for (const err of [
      pgError('08006'),
      pgError('40001'),
      pgError('40P01'),
      pgError('57P01', 'terminating connection due to administrator command'),
      pgError('53300'),
      pgError('ECONNREFUSED'),
      pgError('EPIPE'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
    ]) {
      expect(classifyFailure(err)).toBe('transient');
    }
  });

  it('gives up at once on what the same input will always hit', () => {
    for (const err of [pgError('22021', 'invalid byte sequence for encoding "UTF8": 0x00'), pgError('22P05'), pgError('23505'), pgError('54000'), new PermanentMessageError('bad'), new SyntaxError('Unexpected token')]) {
      expect(classifyFailure(err)).toBe('permanent');
    }
  });

  it('treats the unexpected as unknown (bounded retries)', () => {
    expect(classifyFailure(new TypeError('x is undefined'))).toBe('unknown');
    expect(classifyFailure(pgError('XX000'))).toBe('unknown');
    expect(classifyFailure('a string')).toBe('unknown');
  });
});
