import * as grpc from '@grpc/grpc-js';
import { loadPackage } from '../protos/index.js';
import type { ServiceSpec } from './methods.js';

const constructors = new Map<string, grpc.ServiceClientConstructor>();

/**
 * The grpc-js client constructor of a service, from the .proto files shipped in the package
 * (found relative to the module, not in a checkout). Each service's protos are loaded once per
 * process, on first use.
 * @throws Error when the .proto is missing or does not define the service.
 */
export function clientConstructor(spec: ServiceSpec): grpc.ServiceClientConstructor {
  let ctor = constructors.get(spec.name);
  if (ctor) return ctor;
  const def = loadPackage([spec.proto])[spec.name];
  if (!def || 'format' in def) throw new Error(`mlmesh client: service ${spec.name} is not in ${spec.proto}`);
  ctor = grpc.makeGenericClientConstructor(def, spec.name);
  constructors.set(spec.name, ctor);
  return ctor;
}
