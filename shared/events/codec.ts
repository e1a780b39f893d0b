import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { projectRoot } from '../config/index.js';
import type { Feedback, Feedback__Output } from '../generated/mlmesh/events/v1/Feedback.js';
import type { PredictionLog, PredictionLog__Output } from '../generated/mlmesh/events/v1/PredictionLog.js';
import type { DriftReport, DriftReport__Output } from '../generated/mlmesh/events/v1/DriftReport.js';
import type { RetrainRequest, RetrainRequest__Output } from '../generated/mlmesh/events/v1/RetrainRequest.js';
import type { QualityAlert, QualityAlert__Output } from '../generated/mlmesh/events/v1/QualityAlert.js';
import type { Route, Route__Output } from '../generated/mlmesh/events/v1/Route.js';
import type { ModelEvent, ModelEvent__Output } from '../generated/mlmesh/events/v1/ModelEvent.js';

let root: protobuf.Root | undefined;

function type(name: string): protobuf.Type {
  root ??= protobuf.parse(readFileSync(join(projectRoot(), 'protos/mlmesh/events/v1/events.proto'), 'utf8'), { keepCase: true }).root;
  return root.lookupType(`mlmesh.events.v1.${name}`);
}

/** The same conversion proto-loader applies, so decoded events match the generated `__Output` types. */
const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, defaults: true, oneofs: true, arrays: true, objects: true };

function encode(name: string, value: object): Uint8Array {
  const t = type(name);
  return t.encode(t.fromObject(value)).finish();
}

function decode<T>(name: string, bytes: Uint8Array): T {
  const t = type(name);
  return t.toObject(t.decode(bytes), TO_OBJECT) as T;
}

let predictionLogType: protobuf.Type | undefined;

/**
 * Encodes a PredictionLog as protobuf. Once per answered request, so straight from the object
 * (its type has no enums, bytes are Uint8Arrays, int64s numbers or decimal strings): the
 * `fromObject` copy the other events take cost ~3.5% of the inference service's CPU at 64
 * requests in flight. test/unit/events-codec.test.ts checks the bytes are the same.
 */
export function encodePredictionLog(log: PredictionLog): Uint8Array {
  predictionLogType ??= type('PredictionLog');
  return predictionLogType.encode(log).finish();
}

/** Decodes a PredictionLog. @throws Error on bytes that are not one. */
export function decodePredictionLog(bytes: Uint8Array): PredictionLog__Output {
  return decode('PredictionLog', bytes);
}

/** Encodes a Feedback as protobuf. */
export function encodeFeedback(fb: Feedback): Uint8Array {
  return encode('Feedback', fb);
}

/** Decodes a Feedback. @throws Error on bytes that are not one. */
export function decodeFeedback(bytes: Uint8Array): Feedback__Output {
  return decode('Feedback', bytes);
}

/** Encodes a DriftReport as protobuf. */
export function encodeDriftReport(report: DriftReport): Uint8Array {
  return encode('DriftReport', report);
}

/** Decodes a DriftReport. @throws Error on bytes that are not one. */
export function decodeDriftReport(bytes: Uint8Array): DriftReport__Output {
  return decode('DriftReport', bytes);
}

/** Encodes a RetrainRequest as protobuf. */
export function encodeRetrainRequest(req: RetrainRequest): Uint8Array {
  return encode('RetrainRequest', req);
}

/** Decodes a RetrainRequest. @throws Error on bytes that are not one. */
export function decodeRetrainRequest(bytes: Uint8Array): RetrainRequest__Output {
  return decode('RetrainRequest', bytes);
}

/** Encodes a QualityAlert as protobuf. */
export function encodeQualityAlert(alert: QualityAlert): Uint8Array {
  return encode('QualityAlert', alert);
}

/** Decodes a QualityAlert. @throws Error on bytes that are not one. */
export function decodeQualityAlert(bytes: Uint8Array): QualityAlert__Output {
  return decode('QualityAlert', bytes);
}

/** Encodes a Route (the value of a key in KV bucket mlmesh_routes) as protobuf. */
export function encodeRoute(route: Route): Uint8Array {
  return encode('Route', route);
}

/** Decodes a Route. @throws Error on bytes that are not one. */
export function decodeRoute(bytes: Uint8Array): Route__Output {
  return decode('Route', bytes);
}

/** Encodes a ModelEvent as protobuf. */
export function encodeModelEvent(event: ModelEvent): Uint8Array {
  return encode('ModelEvent', event);
}

/** Decodes a ModelEvent. @throws Error on bytes that are not one. */
export function decodeModelEvent(bytes: Uint8Array): ModelEvent__Output {
  return decode('ModelEvent', bytes);
}
