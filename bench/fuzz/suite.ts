/**
 * The fuzz suite in one call: start the mesh, fuzz every RPC of every service, stop the mesh.
 * Used by `npm run fuzz` (bench/fuzz/main.ts) and the smoke test
 * (test/security/fuzz-smoke.test.ts).
 */
import { startFuzzMesh, loadServiceRoot } from './mesh.js';
import { formatReport, runFuzz } from './runner.js';
import type { FuzzOptions, FuzzReport } from './runner.js';

export { formatReport, healthStatus, rpcsOf, runFuzz, statusName } from './runner.js';
export type { Finding, FuzzOptions, FuzzReport, FuzzTarget, MemoryBound, MemorySample, MethodCounts } from './runner.js';
export { malformedArbitrary, requestArbitrary, varint } from './arbitraries.js';
export type { ArbitraryOptions, Sample } from './arbitraries.js';
export { loadServiceRoot, startFuzzMesh } from './mesh.js';

/** Options of {@link fuzzMesh}: those of runFuzz but the root, plus which services. */
export type FuzzMeshOptions = Omit<FuzzOptions, 'root'> & {
  /** Keys of SERVICES to fuzz. @default all */
  services?: readonly string[];
};

/**
 * Starts the mesh (bench/fuzz/mesh.ts), fuzzes it and stops it. The dictionary of names the
 * mesh knows goes to every string generator.
 * @throws Error when the mesh does not start (a service of SERVICES that mesh.ts does not start
 *   included).
 */
export async function fuzzMesh(options: FuzzMeshOptions): Promise<{ report: FuzzReport; text: string }> {
  const root = loadServiceRoot();
  const mesh = await startFuzzMesh(options.services);
  try {
    const report = await runFuzz(mesh.targets, { ...options, root, arbitraries: { '*': { dictionary: mesh.dictionary, fieldDictionary: mesh.fieldDictionary }, ...options.arbitraries } });
    return { report, text: formatReport(report) };
  } finally {
    await mesh.stop();
  }
}
