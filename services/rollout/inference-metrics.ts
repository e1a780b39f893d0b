/**
 * The error rate of a step, from the inference replicas' Prometheus counters: failed requests
 * are not in the prediction logs (only answered ones are), so the rollout scrapes
 * `mlmesh_inference_request_success_total` and `mlmesh_inference_request_failure_total` (per
 * model and version, services/inference/metrics.ts) and takes their deltas since the step's
 * start, summed over the replicas. Failures with reason `invalid` (the caller's bad input) and
 * `cancelled` (the caller went away) are not the version's fault and are left out.
 */

/** Answered and failed requests of one version on one replica. */
export interface Counts {
  ok: number;
  err: number;
}

/** Failure reasons counted as the version's errors. */
export const ERROR_REASONS: ReadonlySet<string> = new Set(['rejected', 'deadline', 'unavailable', 'internal']);

const LINE = /^(mlmesh_inference_request_(success|failure)_total)\{([^}]*)\}\s+(\S+)/;
const LABEL = /(\w+)="((?:[^"\\]|\\.)*)"/g;

function unescape(v: string): string {
  return v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

/** The per-version counters of `model` in a Prometheus text exposition. */
export function parseCounters(text: string, model: string): Map<string, Counts> {
  const out = new Map<string, Counts>();
  for (const line of text.split('\n')) {
    const m = LINE.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[3] as string).matchAll(LABEL)) labels[l[1] as string] = unescape(l[2] as string);
    if (labels['model'] !== model || labels['version'] === undefined) continue;
    const value = Number(m[4]);
    if (!Number.isFinite(value)) continue;
    const c = out.get(labels['version']) ?? { ok: 0, err: 0 };
    if (m[2] === 'success') c.ok += value;
    else if (ERROR_REASONS.has(labels['reason'] ?? '')) c.err += value;
    out.set(labels['version'], c);
  }
  return out;
}

/** Scrapes every URL; a replica that does not answer is left out (its counts keep their last value). */
export async function scrapeCounters(urls: readonly string[], model: string, timeoutMs: number): Promise<Map<string, Map<string, Counts>>> {
  const out = new Map<string, Map<string, Counts>>();
  await Promise.all(
    urls.map(async (url) => {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
        if (!res.ok) return;
        out.set(url, parseCounters(await res.text(), model));
      } catch {
        // An unreachable replica: its requests are counted once it answers again (deltas are since the step's start).
      }
    }),
  );
  return out;
}

/** The key of one counter in Rollout.counters_at_step_start. */
export function counterKey(url: string, version: string, kind: 'ok' | 'err'): string {
  return `${url}|${version}|${kind}`;
}

/**
 * Requests and errors of `version` since the step's start, summed over the replicas scraped.
 * A counter missing from `atStart` is added to it from `now` (the step's first scrape of that
 * replica: the caller stores it); a counter below its start value (the replica restarted)
 * counts from 0.
 */
export function deltaOf(now: ReadonlyMap<string, ReadonlyMap<string, Counts>>, atStart: Record<string, number>, version: string): { requests: number; errors: number } {
  let ok = 0;
  let err = 0;
  for (const [url, versions] of now) {
    const c = versions.get(version) ?? { ok: 0, err: 0 };
    for (const kind of ['ok', 'err'] as const) {
      const key = counterKey(url, version, kind);
      if (atStart[key] === undefined) atStart[key] = c[kind];
      if (c[kind] < atStart[key]) atStart[key] = 0;
      const d = c[kind] - atStart[key];
      if (kind === 'ok') ok += d;
      else err += d;
    }
  }
  return { requests: ok + err, errors: err };
}
