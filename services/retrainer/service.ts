import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { NatsConnection } from 'nats';
import { FeaturesClient, PreprocessClient } from '../../shared/client/index.js';
import { projectRoot } from '../../shared/config/index.js';
import { STREAMS, decodeRetrainRequest } from '../../shared/events/index.js';
import { errorMessage, isMlmeshError } from '../../shared/errors/index.js';
import type { RetrainerServiceHandlers } from '../../shared/generated/mlmesh/retrainer/v1/RetrainerService.js';
import { HostedService, ServiceHost, defineService } from '../../shared/host/index.js';
import type { HostedServiceOptions, ServiceHostState } from '../../shared/host/index.js';
import { sendAnswer, sendError } from '../../shared/http/index.js';
import type { FastifyInstance } from '../../shared/http/index.js';
import { ensureStreams } from '../../shared/nats/index.js';
import { runConsumer } from '../monitor/consumer.js';
import { RETRAINER_OPTIONS } from './config.js';
import type { RetrainerConfig } from './config.js';
import { Deployer } from './deployer.js';
import { RetrainEngine } from './engine.js';
import { runPage, runsPage } from './page.js';
import { retrainerHandlers } from './server.js';
import { testPause } from './test-pause.js';

/** Fully-qualified name of the gRPC service. */
export const RETRAINER_SERVICE = 'mlmesh.retrainer.v1.RetrainerService';
/** The .proto it serves, relative to `protos/`. */
export const RETRAINER_PROTO = 'mlmesh/retrainer/v1/retrainer.proto';

/** Limits of the streams when this service is the first to create them (it only creates, never updates). */
const STREAM_LIMITS = { maxAgeMs: 7 * 24 * 3600 * 1000, maxBytes: -1, duplicateWindowMs: 3600 * 1000 } as const;

/** Options for {@link RetrainerService.create}: overrides (see RETRAINER_OPTIONS), env, logger, registry. */
export type RetrainerServiceOptions = HostedServiceOptions<RetrainerConfig>;

/** Lifecycle of the service (the host's). */
export type RetrainerServiceState = ServiceHostState;

/** `mlmesh-retrainer <package version>`. */
export function retrainerVersion(): string {
  let version = '0.0.0';
  try {
    version = (JSON.parse(readFileSync(join(projectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    // Only in provenance and events: a missing package.json is not worth failing over.
  }
  return `mlmesh-retrainer ${version}`;
}

/** The code that trains: the package version and, in a git checkout, the commit (with "+dirty" for local changes). */
export function codeVersion(cwd = projectRoot()): string {
  const base = retrainerVersion();
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim() !== '';
    return `${base} (git ${commit}${dirty ? '+dirty' : ''})`;
  } catch {
    // Not a git checkout (an installed package): the package version alone.
    return base;
  }
}

const abs = (p: string): string => (isAbsolute(p) ? p : join(projectRoot(), p));

/**
 * The retrainer (docs/retrainer.md): RetrainRequests in (durable consumer on MLMESH_EVENTS) and
 * Retrain calls; runs carried through dataset → train → evaluate → register → rollout →
 * outcome, stored in KV mlmesh_retrainer; `mlmesh.retrainer.v1.RetrainerService` and the runs
 * page on the service host. Ready once NATS is connected and the runs are loaded.
 */
export class RetrainerService extends HostedService<RetrainerConfig> {
  private constructor(
    host: ServiceHost<RetrainerConfig>,
    /** The engine. */
    readonly engine: RetrainEngine,
  ) {
    super(host);
  }

  /**
   * Resolves options, binds the servers, connects to NATS in the background, resumes the runs
   * that were going and starts consuming RetrainRequests.
   * @throws ConfigError for a bad option; the bind error when a port is taken.
   */
  static create(opts: RetrainerServiceOptions = {}): Promise<RetrainerService> {
    return ServiceHost.create({
      ...opts,
      name: 'retrainer',
      options: RETRAINER_OPTIONS,
      protos: [RETRAINER_PROTO],
      setup: (host) => {
        const { config } = host;
        const repo = abs(config.modelRepository);
        const deployer = new Deployer({ inferenceAddresses: config.inferenceAddresses, rolloutAddress: config.rolloutAddress, repo, callTimeoutMs: config.callTimeoutMs, logger: host.logger, credentials: host.clientCredentials() });
        host.use({ name: 'inference and rollout channels', close: () => deployer.close() });
        // Channels connect lazily: a retrainer whose models never come through a gateway never calls them.
        const channel = { credentials: host.clientCredentials(), retry: { maxAttempts: 3, initialBackoffMs: 100, maxBackoffMs: 1000 } };
        const features = new FeaturesClient(config.featuresAddress, channel);
        const preprocess = new PreprocessClient(config.preprocessAddress, channel);
        host.use({ name: 'feature and preprocess channels', close: () => (features.close(), preprocess.close()) });
        const engine = new RetrainEngine({
          logger: host.logger,
          repo,
          workDir: abs(config.workDir),
          deployer,
          pollMs: config.pollMs,
          rolloutTimeoutMs: config.rolloutTimeoutMs,
          stateHistory: config.stateHistory,
          producerVersion: retrainerVersion(),
          codeVersion: codeVersion(),
          pointInTime: { features, featuresAddress: config.featuresAddress, preprocess, preprocessAddress: config.preprocessAddress, deploymentsDir: abs(config.deploymentsDir), callTimeoutMs: config.callTimeoutMs },
          pause: testPause(opts.env ?? process.env, host.logger),
        });
        const service = new RetrainerService(host, engine);
        const consuming = new AbortController();
        let consumer: Promise<void> | undefined;
        return {
          service,
          services: [defineService<RetrainerServiceHandlers>(RETRAINER_SERVICE, retrainerHandlers(engine, repo))],
          ready: () => engine.natsUp,
          routes: (app: FastifyInstance) => {
            app.get('/', (_req, reply) => sendAnswer(reply, runsPage(engine.list('', 500), config.monitorUrl)));
            app.get<{ Params: { id: string } }>('/runs/:id', (req, reply) => {
              try {
                return sendAnswer(reply, runPage(engine.get(req.params.id), engine.logLines(req.params.id), config.monitorUrl));
              } catch {
                return sendError(reply, 404, `no run ${JSON.stringify(req.params.id)}`);
              }
            });
          },
          start: () => {
            host.connectNats(config.natsUrl, {
              onConnect: async (nc: NatsConnection) => {
                await ensureStreams(await nc.jetstreamManager(), ['predictions', 'feedback', 'events'], STREAM_LIMITS, { createOnly: true });
                if (!engine.natsUp) await engine.attach(nc);
                consumer ??= runConsumer({
                  nc,
                  stream: STREAMS.events.name,
                  durable: config.consumer,
                  filterSubject: 'mlmesh.events.retrain.>',
                  batch: 16,
                  log: host.logger,
                  signal: consuming.signal,
                  apply: async (batch) => {
                    for (const m of batch) {
                      let req;
                      try {
                        req = decodeRetrainRequest(m.data);
                      } catch (e: unknown) {
                        host.logger.warn({ seq: m.seq, err: errorMessage(e) }, 'retrainer: undecodable RetrainRequest skipped');
                        continue;
                      }
                      try {
                        await engine.trigger(req.model, {
                          kind: 'drift',
                          retrain_request_id: req.request_id,
                          drifted_report_ids: req.drifted_report_ids,
                          first_sequence: req.first_sequence,
                          last_sequence: req.last_sequence,
                          reason: req.reason,
                          actor: req.meta?.source ?? 'monitor',
                          time_unix_ms: req.meta?.time_unix_ms ?? Date.now(),
                          version: req.version,
                        });
                      } catch (e: unknown) {
                        // A model that cannot be retrained (no retraining section, unknown): logged and
                        // acked, it would fail the same way again. Anything else: the batch is retried.
                        if (!isMlmeshError(e)) throw e;
                        host.logger.warn({ model: req.model, request: req.request_id, err: errorMessage(e) }, 'retrainer: RetrainRequest not taken');
                      }
                    }
                  },
                });
              },
            });
            host.use({
              name: 'runs',
              drain: async () => {
                consuming.abort();
                await consumer;
                await engine.close();
              },
            });
          },
          describe: () => ({ natsUrl: config.natsUrl, repository: repo, rollout: config.rolloutAddress, inference: config.inferenceAddresses.join(','), features: config.featuresAddress, preprocess: config.preprocessAddress, deployments: abs(config.deploymentsDir) }),
        };
      },
    });
  }
}
