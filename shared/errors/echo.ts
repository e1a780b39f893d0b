/** Longest piece of client input echoed into an error message or a log line, in characters. */
export const ECHO_MAX_CHARS = 200;

/**
 * Client input as it may be echoed into an error message or a log line: at most `max`
 * characters, the rest replaced by a note of the full length. A 20 kB model name or a
 * rank-100,000 shape must not push a status past clients' metadata limits (they would see
 * RESOURCE_EXHAUSTED instead of the real error) nor write megabyte log lines. Never splits a
 * UTF-16 surrogate pair (a lone surrogate cannot be percent-encoded into grpc-message).
 */
export function clip(value: unknown, max = ECHO_MAX_CHARS): string {
  const s = typeof value === 'string' ? value : String(value);
  if (s.length <= max) return s;
  let end = max;
  const last = s.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${s.slice(0, end)}… (${s.length} characters)`;
}
