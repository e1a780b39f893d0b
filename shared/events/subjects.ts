/**
 * NATS subjects and JetStream streams of the mesh (DESIGN.md "NATS"). Model names may hold
 * characters that are special in subjects ('.', '*', '>'): a subject token replaces every
 * character outside [A-Za-z0-9_-] with '_' (the event itself carries the exact name).
 */

/** A model name or version as one subject token. */
export function subjectToken(s: string): string {
  const t = s.replace(/[^A-Za-z0-9_-]/g, '_');
  return t === '' ? '_' : t;
}

/** Subjects, by event. */
export const SUBJECTS = {
  prediction: (model: string, version: string) => `mlmesh.predictions.${subjectToken(model)}.${subjectToken(version)}`,
  predictionsOf: (model: string) => `mlmesh.predictions.${subjectToken(model)}.>`,
  allPredictions: 'mlmesh.predictions.>',
  feedback: (model: string) => `mlmesh.feedback.${subjectToken(model)}`,
  drift: (model: string) => `mlmesh.events.drift.${subjectToken(model)}`,
  retrain: (model: string) => `mlmesh.events.retrain.${subjectToken(model)}`,
  quality: (model: string) => `mlmesh.events.quality.${subjectToken(model)}`,
  modelEvent: (model: string) => `mlmesh.events.model.${subjectToken(model)}`,
} as const;

/** The JetStream streams, with the subjects each holds. */
export const STREAMS = {
  predictions: { name: 'MLMESH_PREDICTIONS', subjects: ['mlmesh.predictions.>'] },
  feedback: { name: 'MLMESH_FEEDBACK', subjects: ['mlmesh.feedback.>'] },
  events: { name: 'MLMESH_EVENTS', subjects: ['mlmesh.events.>'] },
} as const;

/** Key of a stream in {@link STREAMS}. */
export type StreamKey = keyof typeof STREAMS;

/** NATS KV buckets of the mesh. */
export const KV_BUCKETS = {
  /** Key = model name (as a KV key token, see subjectToken), value = a protobuf Route. */
  routes: 'mlmesh_routes',
  /** The retrainer's runs: key run.<id> = a protobuf mlmesh.retrainer.v1.Run. */
  retrainer: 'mlmesh_retrainer',
} as const;
