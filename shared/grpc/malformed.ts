import type * as grpc from '@grpc/grpc-js';
import { InvalidArgumentError, clip, errorMessage } from '../errors/index.js';

/**
 * What a method's deserializer returns for bytes that are not a valid message. grpc-js answers
 * a throwing deserializer with INTERNAL ("Error deserializing request"), although malformed
 * input is the caller's fault; so the deserializer returns this instead and the wrapped handler
 * answers INVALID_ARGUMENT.
 */
export class MalformedRequest {
  constructor(
    readonly type: string,
    readonly reason: string,
  ) {}
}

/** A service definition whose request deserializers never throw (see {@link MalformedRequest}). */
export function tolerantDefinition(definition: grpc.ServiceDefinition): grpc.ServiceDefinition {
  const out: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  for (const [method, def] of Object.entries(definition)) {
    const type = (def as { requestType?: { type?: { name?: string } } }).requestType?.type?.name ?? `${method} request`;
    out[method] = {
      ...def,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return def.requestDeserialize(bytes) as unknown;
        } catch (e: unknown) {
          return new MalformedRequest(type, errorMessage(e));
        }
      },
    };
  }
  return out;
}

/** The status for a request that did not decode. */
export function malformed(request: MalformedRequest): InvalidArgumentError {
  return new InvalidArgumentError(`the request is not a valid ${request.type} protobuf message: ${clip(request.reason)}`, { field: '(message)' });
}
