/**
 * The one table of who may call what: every RPC of every service states the role it needs.
 * A service whose definition has a method missing here refuses to start (see
 * {@link missingRoles}), so a new RPC cannot be served by accident without a decision.
 */

/** The roles, weakest first; each includes the ones before it (an admin may read and serve). */
export const ROLES = ['read', 'data', 'admin'] as const;

/**
 * A role: `read` (metadata, listings, reports), `data` (the data plane: inference, predict,
 * transform, online features, and every read), `admin` (loading and unloading models,
 * replacing references, fitting pipelines, writing features, rollout and retrain control, and
 * everything else).
 */
export type Role = (typeof ROLES)[number];

/** True when `held` is at least `needed`. */
export function roleAllows(held: Role, needed: Role): boolean {
  return ROLES.indexOf(held) >= ROLES.indexOf(needed);
}

/** True for a known role name. */
export function isRole(s: string): s is Role {
  return (ROLES as readonly string[]).includes(s);
}

/**
 * The role each RPC needs, by fully-qualified service name, then method. Add a service's
 * block when it is added (its methods as in the .proto); the role-table test reads every
 * service definition in protos/ and fails on a method missing here.
 */
export const RPC_ROLES: Readonly<Record<string, Readonly<Record<string, Role>>>> = {
  'inference.GRPCInferenceService': {
    ServerLive: 'read',
    ServerReady: 'read',
    ModelReady: 'read',
    ServerMetadata: 'read',
    ModelMetadata: 'read',
    ModelInfer: 'data',
    ModelStreamInfer: 'data',
    ModelConfig: 'read',
    ModelStatistics: 'read',
    RepositoryIndex: 'read',
    RepositoryModelLoad: 'admin',
    RepositoryModelUnload: 'admin',
  },
  'mlmesh.preprocess.v1.PreprocessService': {
    Transform: 'data',
    Fit: 'admin',
    GetPipeline: 'read',
    ListPipelines: 'read',
  },
  'mlmesh.features.v1.FeatureService': {
    GetOnlineFeatures: 'data',
    GetHistoricalFeatures: 'data',
    WriteFeatures: 'admin',
    Materialize: 'admin',
    RegisterFeature: 'admin',
    GetFeature: 'read',
    ListFeatures: 'read',
    RegisterFeatureService: 'admin',
    GetFeatureService: 'read',
    ListFeatureServices: 'read',
  },
  'mlmesh.monitor.v1.MonitorService': {
    GetStatus: 'read',
    ListReports: 'read',
    GetReport: 'read',
    WatchReports: 'read',
    ReplaceReference: 'admin',
    // Runs a detector on data the caller sends: compute on demand, as a data-plane call.
    TwoSampleTest: 'data',
    GetLabelQueue: 'read',
    GetQuality: 'read',
    GetSegments: 'read',
  },
  'mlmesh.gateway.v1.GatewayService': {
    Predict: 'data',
    GetVersion: 'read',
    ListDeployments: 'read',
    GetDeployment: 'read',
  },
  'mlmesh.rollout.v1.RolloutService': {
    StartRollout: 'admin',
    Pause: 'admin',
    Resume: 'admin',
    Promote: 'admin',
    Abort: 'admin',
    GetRollout: 'read',
    ListRollouts: 'read',
    WatchRollout: 'read',
  },
  'mlmesh.retrainer.v1.RetrainerService': {
    Retrain: 'admin',
    CancelRun: 'admin',
    ListRuns: 'read',
    GetRun: 'read',
    WatchRun: 'read',
    GetLineage: 'read',
  },
};

/** The role `method` of `service` needs, or undefined when the table has no entry. */
export function roleOf(service: string, method: string): Role | undefined {
  return RPC_ROLES[service]?.[method];
}

/** The methods of `service` (as its definition lists them) that the table has no role for. */
export function missingRoles(service: string, methods: Iterable<string>): string[] {
  return [...methods].filter((m) => roleOf(service, m) === undefined);
}
