/**
 * IEEE 754 half precision (FP16) to and from JS numbers, for the bindings that carry FP16 as
 * numbers (the HTTP/JSON one); the gRPC binding carries FP16 raw only.
 */

/** `q` rounded to an integer, ties to even (exact for the doubles it is given here). */
function roundEven(q: number): number {
  const f = Math.floor(q);
  const d = q - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * The half-precision bits nearest to `x`, rounding the double itself (round to nearest, ties to
 * even; past the largest half, ±Infinity; NaN stays NaN). Every step scales by a power of two,
 * so it is exact.
 */
export function toHalfBits(x: number): number {
  if (Number.isNaN(x)) return 0x7e00;
  const sign = x < 0 || Object.is(x, -0) ? 0x8000 : 0;
  const a = Math.abs(x);
  if (a === Infinity) return sign | 0x7c00;
  if (a < 2 ** -14) return sign | roundEven(a * 2 ** 24); // subnormal (1024 is the smallest normal)
  let e = Math.floor(Math.log2(a));
  while (2 ** e > a) e--;
  while (2 ** (e + 1) <= a) e++;
  let r = roundEven((a / 2 ** e - 1) * 1024);
  if (r === 1024) {
    e++;
    r = 0;
  }
  if (e + 15 >= 31) return sign | 0x7c00;
  return sign | ((e + 15) << 10) | r;
}

/** The number a half-precision bit pattern stands for. */
export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Infinity : NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** Largest finite FP16 value. */
export const FP16_MAX = 65504;
