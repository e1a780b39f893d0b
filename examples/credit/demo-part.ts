/**
 * The credit part of `npm run demo` (examples/demo.ts): loads the credit example's features
 * into the demo mesh's feature store (`mlmesh features apply` + `materialize`, as a user would),
 * then asks the gateway's deployment `credit` for a few applicants, over gRPC and over HTTP
 * (`POST /v1/deployments/credit/predict`), with bad rows among them: each bad row is answered
 * with its error, the others get their predictions.
 */
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { GatewayClient } from '../../shared/client/index.js';
import type { GatewayRowResult, PredictResponse } from '../../shared/client/index.js';
import { projectRoot } from '../../shared/config/index.js';
import { readCsvObjects } from '../../services/features/index.js';
import { DEPLOYMENT, loadCreditFeatures } from './steps.js';

/** The demo's point in time: the end of the generated events (features are read as of it). */
export const DEMO_AS_OF = '2026-07-01T00:00:00Z';

/** One demo row: the request fields as JSON values, and what it is. */
export interface DemoRow {
  fields: Record<string, string | number | null>;
  what: string;
}

/**
 * The demo's rows: the seeds' applicant 2143134, the last two applications of the data that were
 * repaid and the last that defaulted (as they applied), and two bad rows: an employment never seen in training (UNKNOWN_CATEGORY) and a
 * loan amount sent as text (INVALID_VALUE).
 */
export async function demoRows(): Promise<DemoRow[]> {
  const apps: Record<string, string>[] = [];
  for await (const { row } of readCsvObjects(join(projectRoot(), 'examples/credit/data/applications.csv'))) apps.push(row);
  const labels = new Map<string, string>();
  for await (const { row } of readCsvObjects(join(projectRoot(), 'examples/credit/data/labels.csv'))) labels.set(row['application_id'] as string, row['defaulted'] as string);
  const seeds = apps.find((a) => a['user_id'] === '2143134');
  const last = (label: string, n: number): Record<string, string>[] => apps.filter((a) => labels.get(a['application_id'] as string) === label).slice(-n);
  const picked = [...(seeds ? [seeds] : []), ...last('0', 2), ...last('1', 1)];
  const rows: DemoRow[] = picked.map((a) => {
    const fields: Record<string, string | number | null> = {
      applicant_id: a['user_id'] as string,
      loan_amount: Number(a['loan_amount']),
      term_months: Number(a['term_months']),
      channel: a['channel'] as string,
    };
    if (a['income']) fields['income'] = Number(a['income']);
    if (a['employment']) fields['employment'] = a['employment'];
    return { fields, what: `applicant ${a['user_id']}, ${a['loan_amount']} over ${a['term_months']} months, ${a['channel']}, ${a['employment'] || 'employment not given'}` };
  });
  const base = rows[1]?.fields ?? {};
  rows.splice(2, 0, { fields: { ...base, employment: 'astronaut' }, what: `applicant ${String(base['applicant_id'])} again, employment "astronaut"` });
  rows.push({ fields: { ...(rows[0]?.fields ?? {}), loan_amount: 'a lot' }, what: `applicant ${String(rows[0]?.fields['applicant_id'])} again, loan_amount "a lot"` });
  return rows;
}

/**
 * Starts loading the features into the demo mesh (the demo runs it while the digits part runs);
 * resolves with the line to print.
 */
export async function loadDemoFeatures(featuresAddress: string): Promise<string> {
  const t0 = Date.now();
  const done = await loadCreditFeatures(featuresAddress, () => {}, 'client');
  const values = done.reduce((n, m) => n + m.values_written, 0);
  return `    mlmesh features apply examples/credit/features, then Materialize of ${done.length} feature versions over [2026-01-01, 2026-07-01): ${values} values (${((Date.now() - t0) / 1000).toFixed(1)} s)`;
}

/**
 * Waits until the gateway serves `name`: it refuses a deployment whose feature service is not
 * registered yet and tries again every reloadMs, so right after the features are loaded it may
 * still be refused for a moment.
 * @throws after `timeoutMs`, with the gateway's reason.
 */
export async function waitForDeployment(client: GatewayClient, name: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = await client.listDeployments();
    if (list.deployments.some((d) => d.name === name)) return;
    if (Date.now() > deadline) throw new Error(`the gateway does not serve deployment ${name}: ${list.refused.filter((r) => r.name === name).map((r) => r.reason).join('; ') || 'no such file'}`);
    await sleep(200);
  }
}

/** One row's answer as the demo prints it (the same text for gRPC and HTTP answers). */
export function rowLine(row: number, what: string, r: Pick<GatewayRowResult, 'prediction' | 'errors'> | undefined): string {
  const head = `      row ${row}  ${what}: `;
  if (r?.prediction) return `${head}${r.prediction.label} (p(default) = ${r.prediction.score.toFixed(3)})`;
  const errors = (r?.errors ?? []).map((e) => `${e.code} ${e.field}: ${e.message}`).join('; ');
  return `${head}${errors || 'no answer'}`;
}

/** What the demo printed, for the checks that follow. */
export interface CreditDemoResult {
  grpc: PredictResponse;
  /** The HTTP answer's rows, as JSON. */
  http?: { rows: { row: number; prediction?: { label: string; score: number; values: number[] } | null; errors?: { code: string; field: string; message: string }[] }[] };
}

/**
 * Calls the gateway's deployment `credit` with the demo rows as of {@link DEMO_AS_OF}, over gRPC
 * and (when `http` is given) over HTTP, and prints each row's answer.
 * @throws when a call fails as a whole or the HTTP answer differs from the gRPC one.
 */
export async function predictCredit(grpc: string, http: string | undefined, out: (s: string) => void): Promise<CreditDemoResult> {
  const rows = await demoRows();
  const asOf = Date.parse(DEMO_AS_OF);
  const client = new GatewayClient(grpc, { timeoutMs: 10_000 });
  let res: PredictResponse;
  try {
    await waitForDeployment(client, DEPLOYMENT);
    res = await client.predictRows(DEPLOYMENT, rows.map((r) => r.fields), { asOf });
  } finally {
    client.close();
  }
  out(`    gateway Predict over gRPC (${grpc}), deployment ${res.deployment}@${res.deployment_version}: model ${res.model_name}@${res.model_version}, pipeline ${res.pipeline} (sha256 ${res.pipeline_sha256.slice(0, 12)}…), features ${res.feature_versions.join(', ')}, as of ${DEMO_AS_OF}:`);
  rows.forEach((r, i) => out(rowLine(i, r.what, res.rows[i])));
  out(`    ${res.predicted_rows} rows predicted, ${res.error_rows} answered with their errors (request id ${res.request_id})`);
  if (http === undefined) return { grpc: res };
  const url = `${http}/v1/deployments/${DEPLOYMENT}/predict`;
  const reply = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rows: rows.map((r) => r.fields), as_of_ms: asOf }) });
  const body = (await reply.json()) as CreditDemoResult['http'] & { error?: unknown };
  if (!reply.ok || !body?.rows) throw new Error(`POST ${url}: HTTP ${reply.status} ${JSON.stringify(body)}`);
  out(`    the same rows over HTTP, POST ${url} (HTTP ${reply.status}):`);
  let same = 0;
  rows.forEach((r, i) => {
    const h = body.rows[i];
    const g = res.rows[i];
    const equal = h?.prediction ? h.prediction.label === g?.prediction?.label && h.prediction.score === g?.prediction?.score : (h?.errors ?? []).map((e) => e.code).join() === (g?.errors ?? []).map((e) => e.code).join();
    if (equal) same++;
    out(rowLine(i, r.what, { prediction: h?.prediction ? { ...h.prediction, class_index: 0, top_k: [], shape: [], values: h.prediction.values } : null, errors: (h?.errors ?? []).map((e) => ({ ...e, row: i, code: e.code as GatewayRowResult['errors'][number]['code'] })) }));
  });
  out(`    ${same} of ${rows.length} rows answered as over gRPC`);
  return { grpc: res, http: body };
}
