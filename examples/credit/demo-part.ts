/**
 * The credit part of `npm run demo` (examples/demo.ts): loads the credit example's features
 * into the demo mesh's feature store (`mlmesh features apply` + `materialize`, as a user would),
 * then asks the gateway's deployment `credit` for a few applicants, over gRPC and over HTTP
 * (`POST /v1/deployments/credit/predict`), with bad rows among them: each bad row is answered
 * with its error, the others get their predictions.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
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
 * The demo's rows: the seeds' applicant 2143134 and the last three applications of the data (as
 * they applied), and two bad rows: an employment never seen in training (UNKNOWN_CATEGORY) and a
 * loan amount sent as text (INVALID_VALUE).
 */
export async function demoRows(): Promise<DemoRow[]> {
  const apps: Record<string, string>[] = [];
  for await (const { row } of readCsvObjects(join(projectRoot(), 'examples/credit/data/applications.csv'))) apps.push(row);
  const seeds = apps.find((a) => a['user_id'] === '2143134');
  const picked = [...(seeds ? [seeds] : []), ...apps.slice(-3)];
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

/** Loads the features into the demo mesh; prints one line per step. */
export async function loadDemoFeatures(featuresAddress: string, out: (s: string) => void): Promise<void> {
  const t0 = Date.now();
  const done = await loadCreditFeatures(featuresAddress);
  const values = done.reduce((n, m) => n + m.values_written, 0);
  out(`    mlmesh features apply examples/credit/features, then materialize of ${done.length} feature versions over [2026-01-01, 2026-07-01): ${values} values (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

/** The deployment file the demo's gateway serves. */
export async function deploymentText(): Promise<string> {
  return readFile(join(projectRoot(), 'examples/deployments', `${DEPLOYMENT}.yaml`), 'utf8');
}
