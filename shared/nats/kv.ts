/** What NATS KV writers share. */

/** JetStream's "wrong last sequence" API error: a compare-and-set write that lost. */
export const WRONG_LAST_SEQUENCE = 10071;

/**
 * True when `e` is a KV compare-and-set that lost: the entry is no longer at the revision the
 * writer read (`update`), or already exists (`create`). nats.js reports the first as API error
 * 10071 and, for `create` over a live key, with a message only.
 */
export function isLostCas(e: unknown): boolean {
  const err = e as { api_error?: { err_code?: number }; message?: string } | undefined;
  return err?.api_error?.err_code === WRONG_LAST_SEQUENCE || /wrong last sequence|key exists/i.test(err?.message ?? '');
}
