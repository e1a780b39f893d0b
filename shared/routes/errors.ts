import { Code, MlmeshError } from '../errors/index.js';

/**
 * A compare-and-set write of a route lost: someone else wrote (or deleted) the model's route
 * since it was read. `currentKvRevision` is the KV revision found (0: there is no route now).
 * Surfaces as ABORTED (a read-modify-write conflict: read again and retry).
 */
export class RouteConflictError extends MlmeshError {
  readonly model: string;
  readonly expectedKvRevision: number;
  readonly currentKvRevision: number;
  constructor(model: string, expectedKvRevision: number, currentKvRevision: number, options?: { cause?: unknown }) {
    super(
      Code.ABORTED,
      `route of model '${model}' changed meanwhile: expected KV revision ${expectedKvRevision}, found ${currentKvRevision === 0 ? 'none' : currentKvRevision}`,
      { ...options, resource: { type: 'route', name: model } },
    );
    this.name = 'RouteConflictError';
    this.model = model;
    this.expectedKvRevision = expectedKvRevision;
    this.currentKvRevision = currentKvRevision;
  }
}
