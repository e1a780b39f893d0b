/**
 * `npm run demo`: the mesh working end to end on the example model. It starts the whole mesh
 * (its own nats-server, features, preprocess, inference, monitor: the supervisor of `npm start`,
 * on free ports, with its state in var/demo/ wiped at every run so the monitor's windows start
 * empty), sends 100 clean held-out digits to `digits_mlp` and prints the predictions, waits for
 * the monitor's verdict on that window, does the same with the same digits blurred, and prints
 * the drift page's URL. Then the credit example (examples/credit/README.md): it loads the credit
 * features into the mesh's feature store and asks the gateway's deployment `credit` for a few
 * applicants over gRPC and over HTTP, bad rows among them (answered with their errors while the
 * others get predictions). The mesh keeps running until Ctrl-C, unless `--exit` is given.
 *
 *   npm run demo                      # then open the printed drift page; Ctrl-C to stop
 *   npm run demo -- --exit            # print everything, drain the mesh, exit
 *   npm run demo -- --verbose         # the services' log lines on stdout too (else in var/demo/mesh.log)
 *
 * Without a nats-server binary the demo shows the predictions and says why there is no drift
 * verdict (it does not use NATS_URL: its windows must start empty, which a shared NATS's
 * history would break). Exit code: 0 when the mesh drained cleanly, 1 on a failure.
 */
import { createWriteStream } from 'node:fs';
import { PassThrough } from 'node:stream';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InferInput, InferenceClient, MonitorClient } from '../shared/client/index.js';
import type { DriftReport__Output as DriftReport } from '../shared/events/index.js';
import { projectRoot } from '../shared/config/index.js';
import { readNpy } from '../shared/tensors/index.js';
import { CATALOGUE, LogStream, Mesh, NATS_HOWTO, flagsHelp, meshSettings, parseFlags, planMesh, statusTable, takeOverVarDir } from '../tools/mesh/index.js';
import type { FlagTable } from '../tools/mesh/index.js';
import { loadDemoFeatures, predictCredit } from './credit/demo-part.js';

const FLAGS = {
  exit: { type: 'boolean', doc: 'Drain the mesh and exit once everything is printed.' },
  verbose: { type: 'boolean', doc: "Show the services' log lines (else they go to <var-dir>/mesh.log)." },
  config: { type: 'string', value: '<file>', doc: 'Mesh config (default: as npm start). Ports and NATS are the demo’s own.' },
  'var-dir': { type: 'string', value: '<dir>', doc: 'State folder of the demo mesh (default var/demo beside the config), wiped at start.' },
  help: { type: 'boolean', short: 'h', doc: 'Show this help.' },
} as const satisfies FlagTable;

const MODEL = 'digits_mlp';
/** Rows per window: the demo's monitor closes a window every 100 rows (one batch of digits). */
const WINDOW_ROWS = 100;
/** Rows per request. */
const BATCH = 10;
/** How long the monitor may take to report a window, ms (its detectors run on a loaded machine too). */
const REPORT_TIMEOUT_MS = 180_000;

const root = projectRoot();
const flags = parseFlags(FLAGS, process.argv.slice(2));
if (flags.help) {
  process.stdout.write(`npm run demo -- [options]\n\n${flagsHelp(FLAGS)}\n`);
  process.exit(0);
}
const out = (s = ''): void => void process.stdout.write(`${s}\n`);

// The demo's own mesh: every port free, its own NATS (never NATS_URL), windows of 100 rows.
const settings = meshSettings({ configFile: flags.config });
const varDir = flags['var-dir'] !== undefined ? resolve(flags['var-dir']) : join(settings.projectDir, 'var', 'demo');
const log = new LogStream({ out: process.stdout, servicesOut: flags.verbose ? process.stdout : new PassThrough(), format: 'pretty', color: process.stdout.isTTY === true && !process.env['NO_COLOR'] });
try {
  // Before wiping: a demo still running from this folder is refused, what a dead one left is stopped.
  await takeOverVarDir(varDir, log);
} catch (e: unknown) {
  out(e instanceof Error ? e.message : String(e));
  process.exit(1);
}
// Only the mesh's own folders: --var-dir may name a folder that holds other things.
for (const sub of ['nats', 'mesh', 'monitor', 'features', 'preprocess', 'spool', 'mesh.log']) await rm(join(varDir, sub), { recursive: true, force: true });
const overrides: Record<string, Record<string, unknown>> = { mesh: { natsUrl: '', natsPort: 0, services: ['*'] }, monitor: { windowRows: WINDOW_ROWS, windowSeconds: 0 } };
for (const s of CATALOGUE) overrides[s.name] = { ...overrides[s.name], grpcPort: 0, httpPort: 0 };
const plan = await planMesh({ configFile: flags.config, varDir, overrides });
await mkdir(varDir, { recursive: true });
const logFile = join(varDir, 'mesh.log');
if (!flags.verbose) log.setServicesOut(createWriteStream(logFile));

const mesh = Mesh.create(plan, log);
let stopping = false;
let stoppedAt = 0;
const stop = (signal: NodeJS.Signals): void => {
  // Under npm run demo a terminal's Ctrl-C arrives twice at once (directly and through npm).
  if (stopping && Date.now() - stoppedAt < plan.mesh.signalRepeatMs) return;
  if (stopping) {
    mesh.kill();
    process.exit(130);
  }
  stopping = true;
  stoppedAt = Date.now();
  log.mesh('info', `${signal}: draining the mesh`);
  void mesh.drain();
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);

async function finish(code: number): Promise<never> {
  const result = await mesh.drain();
  out(`\nmesh drained${result.clean ? '' : ' (not every service exited cleanly)'}`);
  process.exit(result.clean ? code : 1);
}

out(`mlmesh demo: starting the whole mesh (state in ${varDir}${flags.verbose ? '' : `, service logs in ${logFile}`})`);
try {
  await mesh.up(process.env);
} catch (e: unknown) {
  if (stopping) await finish(0);
  out(`\nthe mesh did not come up: ${e instanceof Error ? e.message : String(e)}`);
  const tail = (e as { output?: readonly string[] }).output;
  if (tail?.length) out(tail.map((l) => `  ${l}`).join('\n'));
  process.exit(1);
}
out(`\n${statusTable(mesh)}`);
const records = mesh.records();
const inferenceAt = records.find((r) => r.name === 'inference')?.grpc as string;
const monitor = records.find((r) => r.name === 'monitor');

// Verdicts as the monitor reports them (its WatchReports stream), with ListReports as a safety
// net in case a report closed before the stream was registered.
const reports = new Map<number, DriftReport>();
let monitorClient: MonitorClient | undefined;
const watching = new AbortController();
if (monitor?.grpc) {
  monitorClient = new MonitorClient(monitor.grpc);
  void (async () => {
    try {
      for await (const r of monitorClient.watchReports({ model: MODEL }, { signal: watching.signal })) reports.set(Number(r.window_index), r);
    } catch {
      // The stream ends when the demo stops watching or the monitor drains: ListReports covers the rest.
    }
  })();
}
async function reportFor(window: number): Promise<DriftReport> {
  const deadline = Date.now() + REPORT_TIMEOUT_MS;
  for (let i = 0; ; i++) {
    const r = reports.get(window);
    if (r) return r;
    if (i % 10 === 9 && monitorClient) {
      const listed = await monitorClient.listReports({ model: MODEL }).catch(() => undefined);
      for (const l of listed?.reports ?? []) reports.set(Number(l.window_index), l);
    }
    if (Date.now() > deadline) throw new Error(`the monitor reported no window ${window} within ${REPORT_TIMEOUT_MS / 1000} s`);
    await sleep(200);
  }
}

const clean = readNpy(join(root, 'test/fixtures/drift/digits_clean.npy'));
const blurred = readNpy(join(root, 'test/fixtures/drift/digits_blurred.npy'));
const labels = new BigInt64Array(new Uint8Array(readNpy(join(root, 'test/fixtures/drift/digits_clean_labels.npy')).data).buffer);
const inference = new InferenceClient(inferenceAt, { timeoutMs: 10_000 });

/** Sends the 100 digits of `set`, 10 per request; prints the first ten predictions and the accuracy. */
async function send(name: string, set: typeof clean): Promise<void> {
  const cols = set.shape[1] as number;
  const pixels = new Float32Array(set.data.buffer, set.data.byteOffset, (set.shape[0] as number) * cols);
  let correct = 0;
  const shown: string[] = [];
  for (let from = 0; from < WINDOW_ROWS; from += BATCH) {
    const res = await inference.infer(MODEL, [InferInput.from('input', pixels.slice(from * cols, (from + BATCH) * cols), [BATCH, cols])], { id: `demo-${name}-${from}` });
    const probs = res.asArray<Float32Array>('probabilities');
    for (let r = 0; r < BATCH; r++) {
      const p = Array.from(probs.subarray(r * 10, r * 10 + 10));
      const best = p.indexOf(Math.max(...p));
      const truth = Number(labels[from + r]);
      if (best === truth) correct++;
      if (shown.length < 10) shown.push(`    digit #${from + r}: predicted ${best} (p=${(p[best] as number).toFixed(3)}), true label ${truth}`);
    }
  }
  out(shown.join('\n'));
  out(`    … ${correct}/${WINDOW_ROWS} of the ${name} digits predicted right`);
}

function verdict(r: DriftReport, what: string): string {
  const dets = (r.detectors ?? []).map((d) => `${d.detector}${d.skipped_reason ? ' skipped' : d.has_p_value ? ` p=${Number(d.p_value).toPrecision(2)}` : ''}${d.drifted ? ' (drift)' : ''}`).join(', ');
  return `  monitor, window ${r.window_index} (${r.rows} rows, ${what}): ${r.drifted ? 'DRIFT' : 'no drift'}\n    detectors: ${dets}`;
}

// The credit features load while the digits part runs (part 3 waits for them).
const featuresAt = records.find((r) => r.name === 'features')?.grpc;
const creditFeatures = featuresAt ? loadDemoFeatures(featuresAt) : Promise.reject(new Error('the mesh runs no features service'));
// Awaited in part 3; a failure is reported there, not as an unhandled rejection meanwhile.
creditFeatures.catch(() => {});

/** Part 3: the credit example through the gateway (features → pipeline → model in one call). */
async function credit(): Promise<void> {
  const gateway = records.find((r) => r.name === 'gateway');
  out(`\n3. the credit example (examples/credit): an applicant's features as of a time → the fitted pipeline → the model, in one gateway call`);
  out(await creditFeatures);
  if (!gateway?.grpc) {
    out(`    NO GATEWAY in this mesh (${plan.skipped.find((s) => s.name === 'gateway')?.reason ?? 'not started'}): nothing to ask.`);
    return;
  }
  await predictCredit(gateway.grpc, gateway.http ?? undefined, out);
}

try {
  out(`1. ${WINDOW_ROWS} clean held-out digits to ${MODEL} on ${inferenceAt} (${WINDOW_ROWS / BATCH} requests of ${BATCH}):`);
  await send('clean', clean);
  if (monitor?.grpc) out(verdict(await reportFor(0), 'the clean digits'));
  out(`\n2. the same digits, blurred (a drifted input distribution):`);
  await send('blurred', blurred);
  if (monitor?.grpc && monitor.http) {
    out(verdict(await reportFor(1), 'the blurred digits'));
    const page = `${monitor.http}/models/${MODEL}`;
    const status = await fetch(page).then((r) => r.status, () => 'unreachable');
    out(`\ndrift page: ${page}   (HTTP ${status}: p-values per window, reference vs window histograms)`);
  } else {
    out(`\nNO DRIFT VERDICTS: the demo starts its own nats-server for the monitor and found none (${plan.nats.mode === 'none' ? plan.nats.reason : 'NATS is off'}).`);
    out(`To see them: ${NATS_HOWTO.replace(', or set NATS_URL to an existing NATS server', '')}; then run the demo again.`);
  }
  await credit();
} catch (e: unknown) {
  out(`\ndemo failed: ${e instanceof Error ? e.message : String(e)}`);
  watching.abort();
  inference.close();
  monitorClient?.close();
  await finish(1);
}
watching.abort();
inference.close();
monitorClient?.close();

if (flags.exit || stopping) await finish(0);
out(`\nThe mesh keeps running (status: npm run mesh -- status --var-dir ${varDir}). Ctrl-C to stop it.`);
await new Promise<void>((r) => {
  const check = setInterval(() => {
    if (stopping) {
      clearInterval(check);
      r();
    }
  }, 200);
});
await finish(0);
