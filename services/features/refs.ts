import { InvalidArgumentError, clip } from '../../shared/errors/index.js';

/** Feature names: lower-case letters, digits and `_`, starting with a letter, at most 100 characters. */
export const FEATURE_NAME_PATTERN = /^[a-z][a-z0-9_]{0,99}$/;

/** Feature service names: letters, digits, `_`, `.` and `-`, at most 128 characters. */
export const SERVICE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;

/** Longest entity id accepted, in characters. */
export const MAX_ENTITY_ID_LENGTH = 256;

/** A parsed `name@version` reference to one feature version. */
export interface FeatureRef {
  readonly name: string;
  readonly version: number;
  /** The canonical text, `name@version` (no leading zeros). */
  readonly ref: string;
}

const REF_PATTERN = /^([a-z][a-z0-9_]{0,99})@([1-9][0-9]{0,8})$/;

/**
 * Parses `name@version` (e.g. `avg_balance_30d@2`).
 * @throws InvalidArgumentError naming `field` when the text is not a ref.
 */
export function parseRef(text: unknown, field: string): FeatureRef {
  if (typeof text !== 'string' || text === '') throw new InvalidArgumentError(`${field}: must be a feature ref name@version, got ${clip(JSON.stringify(text))}`, { field });
  const m = REF_PATTERN.exec(text);
  if (!m) {
    throw new InvalidArgumentError(
      `${field}: ${clip(JSON.stringify(text))} is not a feature ref name@version (name: [a-z][a-z0-9_]*, version: a positive integer)`,
      { field },
    );
  }
  const name = m[1] as string;
  const version = Number(m[2]);
  return { name, version, ref: `${name}@${version}` };
}

/** The canonical ref text of a name and version. */
export function formatRef(name: string, version: number): string {
  return `${name}@${version}`;
}

/**
 * Checks an entity id: a non-empty string of at most {@link MAX_ENTITY_ID_LENGTH} characters
 * without control characters.
 * @throws InvalidArgumentError naming `field`.
 */
export function checkEntityId(id: unknown, field: string): string {
  if (typeof id !== 'string' || id === '') throw new InvalidArgumentError(`${field}: must be a non-empty string`, { field });
  if (id.length > MAX_ENTITY_ID_LENGTH) throw new InvalidArgumentError(`${field}: longer than ${MAX_ENTITY_ID_LENGTH} characters`, { field });
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(id)) throw new InvalidArgumentError(`${field}: must not contain control characters`, { field });
  return id;
}

/**
 * An int64 timestamp field (epoch ms, given as a number or a decimal string by proto-loader) as
 * a safe integer.
 * @throws InvalidArgumentError naming `field` when it is not an integer or beyond 2^53.
 */
export function parseTimeMs(raw: unknown, field: string): number {
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) throw new InvalidArgumentError(`${field}: must be an integer count of ms since the epoch, got ${JSON.stringify(raw)}`, { field });
  return n;
}
