/**
 * Mutated and truncated inputs never crash or hang the decoder: the only error is
 * FlowLogFormatError, in strict and lenient mode, with any chunking. Each case is small (a
 * sample-sized blob), so a hang would show as a test timeout rather than pass.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FlowLogFormatError } from '../../src/errors.js';
import { createDecoder, decodeRecords, encodeBlob, type FlowLogRecord } from '../../src/formats/index.js';
import { sample } from './helpers.js';

const seeds: Buffer[] = [
  sample('vnet-1.9.1-overview.json'),
  sample('vnet-1.9.3-tutorial-record.json'),
  sample('nsg-2.5.1-v1-malformed.json').subarray(0, 2500),
  sample('nsg-2.5.2-v2.json'),
  sample('nsg-2.5.4-middle-block-excerpt.txt'),
  Buffer.from(encodeBlob(decodeRecords(sample('vnet-1.9.4-early-capture.json')))),
  Buffer.from(encodeBlob(decodeRecords(sample('nsg-2.5.3-block-reader.json')) as FlowLogRecord[])),
];

type Mutation = { kind: 'replace' | 'insert' | 'delete'; at: number; byte: number };

const INTERESTING = [0x22, 0x2c, 0x5c, 0x7b, 0x7d, 0x5b, 0x5d, 0x3a, 0x30, 0x39, 0x0a, 0x00, 0xff, 0x2e, 0x44, 0x2d];
const mutation: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom('replace' as const, 'insert' as const, 'delete' as const),
  at: fc.nat(),
  byte: fc.oneof(fc.constantFrom(...INTERESTING), fc.integer({ min: 0, max: 255 })),
});

function mutate(input: Buffer, mutations: Mutation[], truncateTo: number | null): Buffer {
  const bytes = [...input];
  for (const m of mutations) {
    if (bytes.length === 0) break;
    const at = m.at % bytes.length;
    if (m.kind === 'replace') bytes[at] = m.byte;
    else if (m.kind === 'insert') bytes.splice(at, 0, m.byte);
    else bytes.splice(at, 1);
  }
  const out = Buffer.from(bytes);
  return truncateTo === null ? out : out.subarray(0, truncateTo % (out.length + 1));
}

function decodeAll(bytes: Uint8Array, lenient: boolean, chunk: number): void {
  let rows = 0;
  const decoder = createDecoder({ source: 'fuzz', lenient, onBatch: (b) => (rows += b.length) });
  for (let o = 0; o < bytes.length; o += chunk) decoder.push(bytes.subarray(o, o + chunk));
  const stats = decoder.end();
  expect(stats.tuples).toBe(rows);
}

function onlyFormatErrors(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof FlowLogFormatError)) throw err;
  }
}

describe('fuzz: mutated and truncated samples', () => {
  it('strict and lenient decoding throw nothing but FlowLogFormatError', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: seeds.length - 1 }),
        fc.array(mutation, { minLength: 0, maxLength: 6 }),
        fc.option(fc.nat(), { nil: null }),
        fc.integer({ min: 1, max: 4096 }),
        (seed, mutations, truncateTo, chunk) => {
          const input = mutate(seeds[seed], mutations, truncateTo);
          onlyFormatErrors(() => decodeAll(input, false, chunk));
          // Lenient mode may still refuse (e.g. truncated tail), but only with FlowLogFormatError.
          onlyFormatErrors(() => decodeAll(input, true, chunk));
          onlyFormatErrors(() => decodeRecords(input));
        },
      ),
      { numRuns: 600 },
    );
  });

  it('every truncation point of a blob gives rows or a located FlowLogFormatError', () => {
    const blob = seeds[5];
    for (let cut = 0; cut <= blob.length; cut += 3) {
      const part = blob.subarray(0, cut);
      try {
        decodeAll(part, false, 64);
      } catch (err) {
        expect(err).toBeInstanceOf(FlowLogFormatError);
        expect((err as FlowLogFormatError).location.source).toBe('fuzz');
      }
    }
  });

  it('random byte strings are rejected cleanly', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), fc.boolean(), (bytes, lenient) => {
        onlyFormatErrors(() => decodeAll(bytes, lenient, 17));
      }),
      { numRuns: 400 },
    );
  });

  it('deep nesting is refused, not a stack overflow', () => {
    const deep = '{"records":[{"time":"t","extra":' + '['.repeat(200_000) + ']'.repeat(200_000) + '}]}';
    expect(() => decodeAll(Buffer.from(deep), false, 1 << 16)).toThrow(FlowLogFormatError);
    expect(() => decodeRecords(deep)).toThrow(FlowLogFormatError);
  });

  it('a huge number or string value does not blow up', () => {
    const big = '{"records":[{"time":"' + 'x'.repeat(100_000) + '","flowLogVersion":' + '9'.repeat(5000) + '}]}';
    expect(() => decodeAll(Buffer.from(big), false, 4096)).toThrow(FlowLogFormatError);
  });
});
