/** The gateway commands at work, with the client package's GatewayClient. */
import { connection } from './connection.js';
import { readFile } from 'node:fs/promises';
import { GatewayClient, isRpcError } from '../../shared/client/index.js';
import { decodePredictBody, predictJson } from '../../services/gateway/index.js';
import type { GatewayCommon, PredictOptions } from './gateway.js';
import { CommandError, UsageError } from './errors.js';
import { printer } from './output.js';

async function withClient<T>(o: GatewayCommon, fn: (c: GatewayClient) => Promise<T>): Promise<T> {
  const client = new GatewayClient(o.address, { timeoutMs: o.timeoutMs, ...connection() });
  try {
    return await fn(client);
  } catch (e: unknown) {
    // The gateway's own words, with its code: "UNAVAILABLE: features: UNAVAILABLE …".
    if (isRpcError(e)) throw new CommandError(`gateway at ${o.address}: ${e.message}`, { cause: e });
    throw e;
  } finally {
    client.close();
  }
}

/** The rows of `--rows`: inline JSON, a .json file, or a .jsonl/.ndjson file. */
export async function readRows(spec: string): Promise<unknown[]> {
  const inline = /^\s*[[{]/.test(spec);
  let text: string;
  try {
    text = inline ? spec : await readFile(spec, 'utf8');
  } catch (e: unknown) {
    throw new UsageError(`--rows: ${spec} is neither JSON nor a readable file (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
  const where = inline ? '--rows' : `--rows ${spec}`;
  if (!inline && /\.(jsonl|ndjson)$/.test(spec)) {
    return text
      .split('\n')
      .map((l, i) => [l, i] as const)
      .filter(([l]) => l.trim() !== '')
      .map(([l, i]) => {
        try {
          return JSON.parse(l) as unknown;
        } catch {
          throw new UsageError(`${where}: line ${i + 1} is not JSON`);
        }
      });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e: unknown) {
    throw new UsageError(`${where}: not JSON (${e instanceof Error ? e.message : String(e)})`, { cause: e });
  }
  if (Array.isArray(data)) return data as unknown[];
  if (typeof data === 'object' && data !== null && Array.isArray((data as { rows?: unknown }).rows)) return (data as { rows: unknown[] }).rows;
  throw new UsageError(`${where}: must be a JSON array of row objects, or {"rows": [...]}`);
}

function asOf(v: string | undefined): string | number | undefined {
  if (v === undefined) return undefined;
  if (/^\d+$/.test(v)) return Number(v);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(v) || !Number.isFinite(Date.parse(v))) throw new UsageError(`--as-of: ${JSON.stringify(v)} is not an ISO 8601 time with its offset or epoch ms`);
  return v;
}

/** `predict`. */
export async function predict(deployment: string, o: PredictOptions): Promise<void> {
  const rows = await readRows(o.rows);
  const when = asOf(o.asOf);
  let request;
  try {
    request = decodePredictBody(deployment, { rows, ...(when !== undefined ? { as_of: when } : {}) }, Number.MAX_SAFE_INTEGER);
  } catch (e: unknown) {
    throw new UsageError(`--rows: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  const out = printer(o.json);
  const res = await withClient(o, (c) => c.predict(request, { ...(o.requestId ? { requestId: o.requestId } : {}) }));
  const json = predictJson(res);
  out.record(json, () => {
    const lines = [`${res.deployment}@${res.deployment_version}: model ${res.model_name}@${res.model_version || '-'}, pipeline ${res.pipeline}, features ${res.feature_versions.join(', ') || '-'}, request ${res.request_id}: ${res.predicted_rows} predicted, ${res.error_rows} with errors, ${res.cached_rows} cached`];
    for (const r of res.rows) {
      const p = r.prediction;
      if (p) {
        const what = p.label !== '' ? `${p.label} ${p.score.toFixed(4)}` : `[${p.values.map((v) => v.toFixed(4)).join(', ')}]`;
        const top = p.top_k.length > 1 ? ` top ${p.top_k.map((k) => `${k.label}=${k.score.toFixed(4)}`).join(' ')}` : '';
        lines.push(`row ${r.row}: ${what}${top} (v${r.model_version}${r.cached ? ', cached' : ''})`);
      } else lines.push(`row ${r.row}: ${r.errors.map((e) => `${e.code} ${e.field}: ${e.message}`).join('; ')}`);
    }
    return lines.join('\n');
  });
}

/** `deployments [name]`. */
export async function deployments(name: string | undefined, o: GatewayCommon): Promise<void> {
  const out = printer(o.json);
  await withClient(o, async (c) => {
    if (name !== undefined) {
      const d = await c.getDeployment(name);
      out.record({ ...d.deployment, spec: JSON.parse(d.spec_json) as unknown }, (x) => `${JSON.stringify(x, null, 2)}`);
      return;
    }
    const list = await c.listDeployments();
    if (list.deployments.length === 0 && list.refused.length === 0) out.note('the gateway serves no deployment (its deploymentsDir holds no deployment file)');
    for (const d of list.deployments) {
      out.record({ ...d }, () => `${d.name}@${d.version} ${d.sha256.slice(0, 12)}: model ${d.model_name}, pipeline ${d.pipeline}, features ${d.feature_versions.join(', ') || '-'}; fields ${d.request_fields.join(', ')} (${d.file}, loaded ${d.loaded_at})`);
    }
    for (const r of list.refused) out.record({ refused: true, ...r }, () => `REFUSED ${r.file}: ${r.reason}`);
  });
}
