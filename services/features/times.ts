/**
 * Event times from sources, in explicit formats only: ISO 8601 text (UTC unless it gives an
 * offset) or epoch numbers in a declared unit. Nothing here depends on the host's time zone, and
 * impossible dates (2024-02-30) are refused rather than rolled over.
 */
import { TimeFormatError } from './errors.js';

/** How a timestamp column is read (proto `TimestampFormat`; unspecified = ISO_8601). */
export const TIMESTAMP_FORMATS = ['ISO_8601', 'EPOCH_MILLIS', 'EPOCH_SECONDS', 'EPOCH_MICROS'] as const;

/** One of {@link TIMESTAMP_FORMATS}. */
export type TimestampFormatName = (typeof TIMESTAMP_FORMATS)[number];

/** 0000-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z: ISO 8601's four-digit years. */
const MIN_MS = -62_167_219_200_000;
/** The earliest event time a source row can have (0000-01-01T00:00:00Z, epoch ms): any row is at or after it. */
export const EARLIEST_MS = MIN_MS;
const MAX_MS = 253_402_300_799_999;

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?$/;

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function daysIn(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

const EXPECTED = 'expected ISO 8601 such as 2026-01-03, 2026-01-03T17:16:33Z or 2026-01-03 17:16:33.250+01:00';

/**
 * An ISO 8601 / RFC 3339 date or date-time as epoch ms: `YYYY-MM-DD` (midnight UTC), or a
 * date-time with minutes, optional seconds and fraction (kept to the ms) and an optional offset
 * (`Z`, `±hh:mm`, `±hhmm`, `±hh`); without an offset it is UTC. A space or `t` may replace the `T`.
 * @throws TimeFormatError saying what is wrong (not ISO 8601, month 13, February 2024 has 29 days…).
 */
export function parseIsoDateTime(text: string): number {
  const m = ISO.exec(text);
  if (!m) throw new TimeFormatError(`${JSON.stringify(text)} is not an ISO 8601 date or date-time (${EXPECTED})`);
  const [, ys, mos, ds, hs, mis, ss, frac, z, sign, ohs, oms] = m;
  const year = Number(ys);
  const month = Number(mos);
  const day = Number(ds);
  const bad = (why: string): TimeFormatError => new TimeFormatError(`${JSON.stringify(text)} is not a valid date-time: ${why}`);
  if (month < 1 || month > 12) throw bad(`month ${mos} is not 01-12`);
  if (day < 1 || day > daysIn(year, month)) throw bad(`${MONTHS[month - 1]} ${year} has ${daysIn(year, month)} days`);
  const hour = hs === undefined ? 0 : Number(hs);
  const minute = mis === undefined ? 0 : Number(mis);
  const second = ss === undefined ? 0 : Number(ss);
  if (hour > 23) throw bad(`hour ${hs} is not 00-23`);
  if (minute > 59) throw bad(`minute ${mis} is not 00-59`);
  if (second > 59) throw bad(`second ${ss} is not 00-59 (leap seconds are not supported)`);
  const ms = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  let offsetMin = 0;
  if (sign !== undefined && z === undefined) {
    const oh = Number(ohs);
    const om = oms === undefined ? 0 : Number(oms);
    if (oh > 23 || om > 59) throw bad(`offset ${sign}${ohs}${oms === undefined ? '' : `:${oms}`} is not a valid offset`);
    offsetMin = (sign === '-' ? -1 : 1) * (oh * 60 + om);
  }
  // Date.UTC reads years 0-99 as 1900-1999: set the full year explicitly.
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, ms);
  return d.getTime() - offsetMin * 60_000;
}

const DECIMAL = /^[-+]?\d+(?:\.\d+)?$/;

/** Decimal text `int[.frac]` times 10^shift, truncated toward negative infinity, exactly (no float rounding). */
function scaleDecimal(text: string, shift: number): number {
  const neg = text.startsWith('-');
  const body = text.replace(/^[-+]/, '');
  const [int = '0', frac = ''] = body.split('.');
  let digits: bigint;
  let rest = '';
  if (shift >= 0) digits = BigInt(int + frac.padEnd(shift, '0').slice(0, shift));
  else {
    const all = int.padStart(-shift + 1, '0');
    digits = BigInt(all.slice(0, all.length + shift));
    rest = all.slice(all.length + shift);
  }
  rest += shift >= 0 ? frac.slice(shift) : frac;
  const dropped = /[1-9]/.test(rest);
  let v = neg ? -digits : digits;
  if (neg && dropped) v -= 1n; // floor, not truncation, for times before 1970
  return Number(v);
}

const UNIT_SHIFT: Record<Exclude<TimestampFormatName, 'ISO_8601'>, number> = { EPOCH_MILLIS: 0, EPOCH_SECONDS: 3, EPOCH_MICROS: -3 };
const UNIT_NAME: Record<Exclude<TimestampFormatName, 'ISO_8601'>, string> = { EPOCH_MILLIS: 'milliseconds', EPOCH_SECONDS: 'seconds', EPOCH_MICROS: 'microseconds' };

function checkRange(ms: number, raw: string, format: TimestampFormatName): number {
  if (!Number.isSafeInteger(ms) || ms < MIN_MS || ms > MAX_MS) {
    throw new TimeFormatError(`${raw} is outside the years 0000-9999 as ${format === 'ISO_8601' ? 'a date-time' : `${UNIT_NAME[format]} since the epoch`} (timestamp_format ${format})`);
  }
  return ms;
}

/**
 * A timestamp value from a source as epoch ms, read as `format` says: ISO_8601 takes text (see
 * {@link parseIsoDateTime}) and refuses numbers, whose unit it cannot know; the EPOCH_* formats
 * take numbers, bigints and decimal text in their unit (seconds keep decimals to the ms, micros
 * are truncated). A Date (a SQL timestamp column) carries its own instant and is taken as it is.
 * @throws TimeFormatError saying why the value cannot be read.
 */
export function readTimestamp(v: unknown, format: TimestampFormatName): number {
  if (v instanceof Date) {
    const ms = v.getTime();
    if (Number.isNaN(ms)) throw new TimeFormatError('an invalid SQL timestamp');
    return checkRange(ms, v.toISOString(), format);
  }
  if (v === null || v === undefined || v === '') throw new TimeFormatError('the time is missing');
  const numeric = typeof v === 'number' || typeof v === 'bigint' || (typeof v === 'string' && DECIMAL.test(v.trim()));
  const shown = typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean' ? String(v) : JSON.stringify(v);
  if (format === 'ISO_8601') {
    if (numeric) {
      throw new TimeFormatError(`${shown} is a number, whose unit is not known: set source.timestamp_format to EPOCH_SECONDS, EPOCH_MILLIS or EPOCH_MICROS (the default, ISO_8601, reads text such as 2026-01-03T17:16:33Z)`);
    }
    if (typeof v !== 'string') throw new TimeFormatError(`${JSON.stringify(v)} is not a time`);
    return checkRange(parseIsoDateTime(v.trim()), shown, format);
  }
  let text: string;
  if (typeof v === 'bigint') text = v.toString();
  else if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new TimeFormatError(`${v} is not a time`);
    // The shortest text that reads back as this double: 1767225600.123 s is 1767225600123 ms.
    text = String(v);
    if (!DECIMAL.test(text)) throw new TimeFormatError(`${text} is outside the years 0000-9999 as ${UNIT_NAME[format]} since the epoch`);
  } else if (typeof v === 'string' && DECIMAL.test(v.trim())) text = v.trim();
  else throw new TimeFormatError(`${shown} is not a number of ${UNIT_NAME[format]} since the epoch (timestamp_format ${format})`);
  return checkRange(scaleDecimal(text, UNIT_SHIFT[format]), shown, format);
}

/**
 * A time given on a command line or in an API parameter: digits are epoch ms, anything else is
 * ISO 8601 ({@link parseIsoDateTime}).
 * @throws TimeFormatError when it is neither.
 */
export function parseTimeArg(text: string): number {
  const s = text.trim();
  if (/^-?\d+$/.test(s)) return checkRange(Number(s), s, 'EPOCH_MILLIS');
  return checkRange(parseIsoDateTime(s), JSON.stringify(s), 'ISO_8601');
}
