/**
 * Starts the preprocess service for tests: in-process on 127.0.0.1:0 with a private artifact
 * folder (and data folder), logging only warnings unless LOG_LEVEL says otherwise. Also turns
 * CSV rows into typed records the way a client would, from the pipeline's input schema.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger } from '../../shared/logging/index.js';
import { PreprocessClient, PreprocessService } from '../../services/preprocess/index.js';
import type { InputSchema, PreprocessConfig } from '../../services/preprocess/index.js';
import type { Record as PRecord } from '../../shared/generated/mlmesh/preprocess/v1/Record.js';
import type { Value } from '../../shared/generated/mlmesh/preprocess/v1/Value.js';

/** A running service with a client and its private folders. */
export interface PreprocessFixture {
  service: PreprocessService;
  client: PreprocessClient;
  /** The artifact folder. */
  artifacts: string;
  /** `http://127.0.0.1:<port>` of the metrics/health endpoint. */
  http: string;
  /** Stops the service, closes the client, deletes the folders it made. */
  stop(): Promise<void>;
}

/** Starts the service; `artifacts` defaults to a fresh temp folder (deleted at stop). */
export async function startPreprocess(opts: { overrides?: Partial<PreprocessConfig>; artifacts?: string } = {}): Promise<PreprocessFixture> {
  const artifacts = opts.artifacts ?? (await mkdtemp(join(tmpdir(), 'mlmesh-pipelines-')));
  const service = await PreprocessService.create({
    env: {},
    overrides: { host: '127.0.0.1', grpcPort: 0, httpPort: 0, artifactDir: artifacts, ...opts.overrides },
    logger: createLogger({ service: 'preprocess-test', level: process.env['LOG_LEVEL'] ?? 'warn' }),
  });
  const client = new PreprocessClient(service.address);
  return {
    service,
    client,
    artifacts,
    http: `http://127.0.0.1:${service.httpPort}`,
    async stop() {
      client.close();
      await service.drain();
      if (!opts.artifacts) await rm(artifacts, { recursive: true, force: true });
    },
  };
}

const MISSING = new Set(['', 'NA', 'N/A', 'NaN', 'nan', 'null', 'NULL']);

/**
 * CSV rows as typed records, as a client holding the schema would send them: number columns
 * as doubles (text that is no number as a string), string columns as strings, missing fields
 * left out.
 */
export function csvToRecords(schema: InputSchema, header: readonly string[], rows: readonly (readonly string[])[]): PRecord[] {
  const types = new Map(schema.columns.map((c) => [c.name, c.type]));
  return rows.map((row) => {
    const fields: Record<string, Value> = {};
    row.forEach((field, i) => {
      const name = header[i] as string;
      if (MISSING.has(field)) return;
      const n = field.trim() === '' ? NaN : Number(field);
      // Text that is not a number goes as text: the service answers WRONG_TYPE, as the CLI does.
      fields[name] = types.get(name) === 'number' && !Number.isNaN(n) ? { double_value: n } : { string_value: field };
    });
    return { fields };
  });
}
