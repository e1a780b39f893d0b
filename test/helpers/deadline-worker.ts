/**
 * A worker thread that makes one call with a deadline on its own event loop, so the call's
 * deadline passes on time while the test's thread (the server's) is held up. It connects, posts
 * 'ready', and on any message starts the call, raises `flag[0]` to 1 once the call is issued,
 * then posts the gRPC status code the call ended with.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as grpc from '@grpc/grpc-js';

/** What the worker is started with. */
export interface DeadlineWorkerData {
  address: string;
  /** Full method path, e.g. `/inference.GRPCInferenceService/ServerMetadata`. */
  method: string;
  deadlineMs: number;
  /** Int32Array on a SharedArrayBuffer. */
  flag: Int32Array;
}

const { address, method, deadlineMs, flag } = workerData as DeadlineWorkerData;
const client = new grpc.Client(address, grpc.credentials.createInsecure());
client.waitForReady(Date.now() + 10_000, (err) => {
  if (err) {
    parentPort?.postMessage({ error: String(err) });
    return;
  }
  parentPort?.postMessage('ready');
  parentPort?.once('message', () => {
    // An empty message is a valid request of any all-optional message type.
    client.makeUnaryRequest(method, () => Buffer.alloc(0), (b: Buffer) => b, {}, { deadline: Date.now() + deadlineMs }, (e) => {
      parentPort?.postMessage({ code: e ? e.code : grpc.status.OK });
      client.close();
    });
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
  });
});
