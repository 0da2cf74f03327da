import fc from 'fast-check';
import { producerEventDefinitions } from '@vigil/contracts';
import { arrayBodyBytes, nextBatchLength } from './batching';
import { relativePointer } from './client';
import { producerEventTypes } from './types';

describe('cutting the buffer into batches', () => {
  it('counts the brackets and commas of the JSON array', () => {
    expect(arrayBodyBytes([])).toBe(2);
    expect(arrayBodyBytes([10])).toBe(12);
    expect(arrayBodyBytes([10, 20, 30])).toBe(64);
    expect(arrayBodyBytes([10, 20, 30])).toBe(JSON.stringify(['a'.repeat(8), 'b'.repeat(18), 'c'.repeat(28)]).length);
  });

  it('stops at the event count limit', () => {
    expect(nextBatchLength(new Array(1200).fill(100), 1000, 5 * 1024 * 1024)).toBe(1000);
    expect(nextBatchLength(new Array(3).fill(100), 500, 5 * 1024 * 1024)).toBe(3);
  });

  it('stops before the body would pass the byte limit', () => {
    // [a,b] with 10-byte elements is 23 bytes.
    expect(nextBatchLength([10, 10, 10], 1000, 23)).toBe(2);
    expect(nextBatchLength([10, 10, 10], 1000, 22)).toBe(1);
  });

  it('takes one oversized event alone, so the gateway names its problem and the queue moves on', () => {
    expect(nextBatchLength([100, 1, 1], 1000, 50)).toBe(1);
  });

  it('always fits both limits (or is a single event) and always makes progress', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 300 }), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 3, max: 100_000 }), (sizes, maxCount, maxBytes) => {
        const n = nextBatchLength(sizes, maxCount, maxBytes);
        return n >= 1 && n <= maxCount && (n === 1 || arrayBodyBytes(sizes.slice(0, n)) <= maxBytes);
      }),
    );
  });
});

describe('per-event error pointers', () => {
  it('drops the batch index the gateway puts first', () => {
    expect(relativePointer('/3/data/ip', 3)).toBe('/data/ip');
    expect(relativePointer('/3', 3)).toBe('');
    expect(relativePointer('/30/data', 3)).toBe('/30/data');
    expect(relativePointer('', 0)).toBe('');
  });
});

describe('typed events', () => {
  it('covers exactly the producer event types of @vigil/contracts', () => {
    expect([...producerEventTypes].sort()).toEqual([...new Set(producerEventDefinitions.map((d) => d.type))].sort());
  });
});
