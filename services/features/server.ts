import type { FeatureServiceHandlers } from '../../shared/generated/mlmesh/features/v1/FeatureService.js';
import type { PromiseHandlers } from '../../shared/host/index.js';
import { InvalidArgumentError } from '../../shared/errors/index.js';
import type { GetFeatureRequest__Output } from '../../shared/generated/mlmesh/features/v1/GetFeatureRequest.js';
import type { GetFeatureResponse } from '../../shared/generated/mlmesh/features/v1/GetFeatureResponse.js';
import type { GetFeatureServiceRequest__Output } from '../../shared/generated/mlmesh/features/v1/GetFeatureServiceRequest.js';
import type { GetHistoricalFeaturesRequest__Output } from '../../shared/generated/mlmesh/features/v1/GetHistoricalFeaturesRequest.js';
import type { GetOnlineFeaturesRequest__Output } from '../../shared/generated/mlmesh/features/v1/GetOnlineFeaturesRequest.js';
import type { ListFeaturesRequest__Output } from '../../shared/generated/mlmesh/features/v1/ListFeaturesRequest.js';
import type { MaterializeRequest__Output } from '../../shared/generated/mlmesh/features/v1/MaterializeRequest.js';
import type { RegisterFeatureRequest__Output } from '../../shared/generated/mlmesh/features/v1/RegisterFeatureRequest.js';
import type { RegisterFeatureServiceRequest__Output } from '../../shared/generated/mlmesh/features/v1/RegisterFeatureServiceRequest.js';
import type { WriteFeaturesRequest__Output } from '../../shared/generated/mlmesh/features/v1/WriteFeaturesRequest.js';
import { parseRef } from './refs.js';
import type { FeatureReader } from './reader.js';
import type { FeatureRegistry, ResolvedFeature } from './registry.js';
import type { FeatureWriter } from './writer.js';

/** What the handlers need. */
export interface HandlerDeps {
  registry: FeatureRegistry;
  reader: FeatureReader;
  writer: FeatureWriter;
}

function describe(f: ResolvedFeature): GetFeatureResponse {
  return { definition: f.definition, content_hash: f.hash, registered_at_ms: f.registeredAtMs };
}

/** The handlers of `mlmesh.features.v1.FeatureService`: thin, the work is in the domain modules. */
export function featureHandlers(d: HandlerDeps): PromiseHandlers<FeatureServiceHandlers> {
  return {
    GetOnlineFeatures: (req: GetOnlineFeaturesRequest__Output) => d.reader.online(req),
    WriteFeatures: (req: WriteFeaturesRequest__Output) => d.writer.write(req),
    Materialize: (req: MaterializeRequest__Output, ctx) => d.writer.materialize(req, ctx.signal),
    RegisterFeature: async (req: RegisterFeatureRequest__Output) => {
      if (!req.definition) throw new InvalidArgumentError('definition: is required', { field: 'definition' });
      const { feature, created } = await d.registry.register(req.definition);
      return { definition: feature.definition, content_hash: feature.hash, created };
    },
    GetFeature: async (req: GetFeatureRequest__Output) => describe(await d.registry.get(parseRef(req.feature, 'feature'))),
    ListFeatures: async (req: ListFeaturesRequest__Output) => ({ features: (await d.registry.list(req.name || undefined)).map(describe) }),
    RegisterFeatureService: async (req: RegisterFeatureServiceRequest__Output) => {
      if (!req.service) throw new InvalidArgumentError('service: is required', { field: 'service' });
      const { service, created } = await d.registry.registerService(req.service);
      return { service: service.service, content_hash: service.hash, created };
    },
    GetFeatureService: async (req: GetFeatureServiceRequest__Output) => {
      if (!req.name) throw new InvalidArgumentError('name: is required', { field: 'name' });
      const { service, hash } = await d.registry.getService(req.name);
      return { service, content_hash: hash };
    },
    ListFeatureServices: async () => ({ services: (await d.registry.listServices()).map((s) => ({ service: s.service, content_hash: s.hash })) }),
    GetHistoricalFeatures: (req: GetHistoricalFeaturesRequest__Output, ctx, send) => d.reader.historical(req, send, ctx.signal),
  };
}
