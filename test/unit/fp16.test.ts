/**
 * FP16 to and from numbers (shared/tensors/fp16.ts), used by the HTTP/JSON binding: every half
 * bit pattern round-trips, and doubles round to the nearest half with ties to even as numpy's
 * float16 conversion does (the expected bits below are numpy's, `np.float16(x).view(np.uint16)`).
 */
import test from 'ava';
import { FP16_MAX, fromHalfBits, toHalfBits } from '../../shared/tensors/index.js';

test('fp16 - every non-NaN half bit pattern round-trips through a number', (t) => {
  let checked = 0;
  for (let h = 0; h < 0x10000; h++) {
    const v = fromHalfBits(h);
    if (Number.isNaN(v)) continue;
    if (toHalfBits(v) !== h) t.fail(`bits 0x${h.toString(16)} → ${v} → 0x${toHalfBits(v).toString(16)}`);
    checked++;
  }
  t.is(checked, 0x10000 - 2 * 1023, 'all but the NaN patterns');
  t.true(Number.isNaN(fromHalfBits(toHalfBits(NaN))));
});

test("fp16 - rounding to the nearest half, ties to even, subnormals and overflow as numpy's float16", (t) => {
  const cases: [number, number][] = [
    [0.1, 0x2e66],
    [1 / 3, 0x3555],
    [2049, 0x6800], // a tie between 2048 and 2050: to even
    [2051, 0x6802], // a tie between 2050 and 2052: to even
    [65519.99, 0x7bff],
    [1e-7, 0x2],
    [3e-8, 0x1],
    [2 ** -25, 0x0], // half the smallest subnormal: a tie, to even (zero)
    [2 ** -24 * 1.5, 0x2],
    [-0, 0x8000],
    [2 ** -14 * (1 - 2 ** -11), 0x400], // rounds up into the smallest normal
    [1 + 2 ** -11, 0x3c00],
    [1 + 3 * 2 ** -11, 0x3c02],
    [65520, 0x7c00],
    [-Infinity, 0xfc00],
  ];
  for (const [x, bits] of cases) t.is(toHalfBits(x), bits, `${x}`);
  t.is(fromHalfBits(0x7bff), FP16_MAX);
  t.is(fromHalfBits(0x0001), 2 ** -24);
});
