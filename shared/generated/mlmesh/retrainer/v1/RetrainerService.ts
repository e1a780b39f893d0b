// Original file: protos/mlmesh/retrainer/v1/retrainer.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CancelRunRequest as _mlmesh_retrainer_v1_CancelRunRequest, CancelRunRequest__Output as _mlmesh_retrainer_v1_CancelRunRequest__Output } from '../../../mlmesh/retrainer/v1/CancelRunRequest.js';
import type { GetLineageRequest as _mlmesh_retrainer_v1_GetLineageRequest, GetLineageRequest__Output as _mlmesh_retrainer_v1_GetLineageRequest__Output } from '../../../mlmesh/retrainer/v1/GetLineageRequest.js';
import type { GetRunRequest as _mlmesh_retrainer_v1_GetRunRequest, GetRunRequest__Output as _mlmesh_retrainer_v1_GetRunRequest__Output } from '../../../mlmesh/retrainer/v1/GetRunRequest.js';
import type { Lineage as _mlmesh_retrainer_v1_Lineage, Lineage__Output as _mlmesh_retrainer_v1_Lineage__Output } from '../../../mlmesh/retrainer/v1/Lineage.js';
import type { ListRunsRequest as _mlmesh_retrainer_v1_ListRunsRequest, ListRunsRequest__Output as _mlmesh_retrainer_v1_ListRunsRequest__Output } from '../../../mlmesh/retrainer/v1/ListRunsRequest.js';
import type { ListRunsResponse as _mlmesh_retrainer_v1_ListRunsResponse, ListRunsResponse__Output as _mlmesh_retrainer_v1_ListRunsResponse__Output } from '../../../mlmesh/retrainer/v1/ListRunsResponse.js';
import type { RetrainRunRequest as _mlmesh_retrainer_v1_RetrainRunRequest, RetrainRunRequest__Output as _mlmesh_retrainer_v1_RetrainRunRequest__Output } from '../../../mlmesh/retrainer/v1/RetrainRunRequest.js';
import type { RunResponse as _mlmesh_retrainer_v1_RunResponse, RunResponse__Output as _mlmesh_retrainer_v1_RunResponse__Output } from '../../../mlmesh/retrainer/v1/RunResponse.js';
import type { RunUpdate as _mlmesh_retrainer_v1_RunUpdate, RunUpdate__Output as _mlmesh_retrainer_v1_RunUpdate__Output } from '../../../mlmesh/retrainer/v1/RunUpdate.js';

export interface RetrainerServiceClient extends grpc.Client {
  /**
   * Stops the run: a running training job is killed, nothing more is registered; a rollout the
   * run started is aborted. An ended run: FAILED_PRECONDITION.
   */
  CancelRun(argument: _mlmesh_retrainer_v1_CancelRunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_retrainer_v1_RunResponse__Output>): grpc.ClientUnaryCall;
  CancelRun(argument: _mlmesh_retrainer_v1_CancelRunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_retrainer_v1_RunResponse__Output>): grpc.ClientUnaryCall;
  CancelRun(argument: _mlmesh_retrainer_v1_CancelRunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_retrainer_v1_RunResponse__Output>): grpc.ClientUnaryCall;
  CancelRun(argument: _mlmesh_retrainer_v1_CancelRunRequest, callback: grpc.requestCallback<_mlmesh_retrainer_v1_RunResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Stops the run: a running training job is killed, nothing more is registered; a rollout the
   * run started is aborted. An ended run: FAILED_PRECONDITION.
   */
  cancelRun(argument: _mlmesh_retrainer_v1_CancelRunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_retrainer_v1_RunResponse__Output>): grpc.ClientUnaryCall;
  cancelRun(argument: _mlmesh_retrainer_v1_CancelRunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_retrainer_v1_RunResponse__Output>): grpc.ClientUnaryCall;
  cancelRun(argument: _mlmesh_retrainer_v1_CancelRunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_retrainer_v1_RunResponse__Output>): grpc.ClientUnaryCall;
  cancelRun(argument: _mlmesh_retrainer_v1_CancelRunRequest, callback: grpc.requestCallback<_mlmesh_retrainer_v1_RunResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The provenance chain of a served version, back to the first version.
   */
  GetLineage(argument: _mlmesh_retrainer_v1_GetLineageRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_retrainer_v1_Lineage__Output>): grpc.ClientUnaryCall;
  GetLineage(argument: _mlmesh_retrainer_v1_GetLineageRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_retrainer_v1_Lineage__Output>): grpc.ClientUnaryCall;
  GetLineage(argument: _mlmesh_retrainer_v1_GetLineageRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_retrainer_v1_Lineage__Output>): grpc.ClientUnaryCall;
  GetLineage(argument: _mlmesh_retrainer_v1_GetLineageRequest, callback: grpc.requestCallback<_mlmesh_retrainer_v1_Lineage__Output>): grpc.ClientUnaryCall;
  /**
   * The provenance chain of a served version, back to the first version.
   */
  getLineage(argument: _mlmesh_retrainer_v1_GetLineageRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_retrainer_v1_Lineage__Output>): grpc.ClientUnaryCall;
  getLineage(argument: _mlmesh_retrainer_v1_GetLineageRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_retrainer_v1_Lineage__Output>): grpc.ClientUnaryCall;
  getLineage(argument: _mlmesh_retrainer_v1_GetLineageRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_retrainer_v1_Lineage__Output>): grpc.ClientUnaryCall;
  getLineage(argument: _mlmesh_retrainer_v1_GetLineageRequest, callback: grpc.requestCallback<_mlmesh_retrainer_v1_Lineage__Output>): grpc.ClientUnaryCall;
  
  /**
   * One run by id. Unknown: NOT_FOUND.
   */
  GetRun(argument: _mlmesh_retrainer_v1_GetRunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_retrainer_v1_RunResponse__Output>): grpc.ClientUnaryCall;
  GetRun(argument: _mlmesh_retrainer_v1_GetRunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_retrainer_v1_RunResponse__Output>): grpc.ClientUnaryCall;
  GetRun(argument: _mlmesh_retrainer_v1_GetRunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_retrainer_v1_RunResponse__Output>): grpc.ClientUnaryCall;
  GetRun(argument: _mlmesh_retrainer_v1_GetRunRequest, callback: grpc.requestCallback<_mlmesh_retrainer_v1_RunResponse__Output>): grpc.ClientUnaryCall;
  /**
   * One run by id. Unknown: NOT_FOUND.
   */
  getRun(argument: _mlmesh_retrainer_v1_GetRunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_retrainer_v1_RunResponse__Output>): grpc.ClientUnaryCall;
  getRun(argument: _mlmesh_retrainer_v1_GetRunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_retrainer_v1_RunResponse__Output>): grpc.ClientUnaryCall;
  getRun(argument: _mlmesh_retrainer_v1_GetRunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_retrainer_v1_RunResponse__Output>): grpc.ClientUnaryCall;
  getRun(argument: _mlmesh_retrainer_v1_GetRunRequest, callback: grpc.requestCallback<_mlmesh_retrainer_v1_RunResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Runs, newest first; `model` empty: every model.
   */
  ListRuns(argument: _mlmesh_retrainer_v1_ListRunsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_retrainer_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  ListRuns(argument: _mlmesh_retrainer_v1_ListRunsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_retrainer_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  ListRuns(argument: _mlmesh_retrainer_v1_ListRunsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_retrainer_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  ListRuns(argument: _mlmesh_retrainer_v1_ListRunsRequest, callback: grpc.requestCallback<_mlmesh_retrainer_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Runs, newest first; `model` empty: every model.
   */
  listRuns(argument: _mlmesh_retrainer_v1_ListRunsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_retrainer_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  listRuns(argument: _mlmesh_retrainer_v1_ListRunsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_retrainer_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  listRuns(argument: _mlmesh_retrainer_v1_ListRunsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_retrainer_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  listRuns(argument: _mlmesh_retrainer_v1_ListRunsRequest, callback: grpc.requestCallback<_mlmesh_retrainer_v1_ListRunsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Starts a run of `model` now (trigger "manual"). A run of the model already active: the
   * trigger is coalesced into it and that run is answered (coalesced = true). Unknown model or a
   * model without a `retraining` section in config.json: NOT_FOUND / FAILED_PRECONDITION.
   */
  Retrain(argument: _mlmesh_retrainer_v1_RetrainRunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_retrainer_v1_RunResponse__Output>): grpc.ClientUnaryCall;
  Retrain(argument: _mlmesh_retrainer_v1_RetrainRunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_retrainer_v1_RunResponse__Output>): grpc.ClientUnaryCall;
  Retrain(argument: _mlmesh_retrainer_v1_RetrainRunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_retrainer_v1_RunResponse__Output>): grpc.ClientUnaryCall;
  Retrain(argument: _mlmesh_retrainer_v1_RetrainRunRequest, callback: grpc.requestCallback<_mlmesh_retrainer_v1_RunResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Starts a run of `model` now (trigger "manual"). A run of the model already active: the
   * trigger is coalesced into it and that run is answered (coalesced = true). Unknown model or a
   * model without a `retraining` section in config.json: NOT_FOUND / FAILED_PRECONDITION.
   */
  retrain(argument: _mlmesh_retrainer_v1_RetrainRunRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_retrainer_v1_RunResponse__Output>): grpc.ClientUnaryCall;
  retrain(argument: _mlmesh_retrainer_v1_RetrainRunRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_retrainer_v1_RunResponse__Output>): grpc.ClientUnaryCall;
  retrain(argument: _mlmesh_retrainer_v1_RetrainRunRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_retrainer_v1_RunResponse__Output>): grpc.ClientUnaryCall;
  retrain(argument: _mlmesh_retrainer_v1_RetrainRunRequest, callback: grpc.requestCallback<_mlmesh_retrainer_v1_RunResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The run now, then on every change (and the training job's output lines as they come) until
   * it ends.
   */
  WatchRun(argument: _mlmesh_retrainer_v1_GetRunRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_mlmesh_retrainer_v1_RunUpdate__Output>;
  WatchRun(argument: _mlmesh_retrainer_v1_GetRunRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_mlmesh_retrainer_v1_RunUpdate__Output>;
  /**
   * The run now, then on every change (and the training job's output lines as they come) until
   * it ends.
   */
  watchRun(argument: _mlmesh_retrainer_v1_GetRunRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_mlmesh_retrainer_v1_RunUpdate__Output>;
  watchRun(argument: _mlmesh_retrainer_v1_GetRunRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_mlmesh_retrainer_v1_RunUpdate__Output>;
  
}

export interface RetrainerServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Stops the run: a running training job is killed, nothing more is registered; a rollout the
   * run started is aborted. An ended run: FAILED_PRECONDITION.
   */
  CancelRun: grpc.handleUnaryCall<_mlmesh_retrainer_v1_CancelRunRequest__Output, _mlmesh_retrainer_v1_RunResponse>;
  
  /**
   * The provenance chain of a served version, back to the first version.
   */
  GetLineage: grpc.handleUnaryCall<_mlmesh_retrainer_v1_GetLineageRequest__Output, _mlmesh_retrainer_v1_Lineage>;
  
  /**
   * One run by id. Unknown: NOT_FOUND.
   */
  GetRun: grpc.handleUnaryCall<_mlmesh_retrainer_v1_GetRunRequest__Output, _mlmesh_retrainer_v1_RunResponse>;
  
  /**
   * Runs, newest first; `model` empty: every model.
   */
  ListRuns: grpc.handleUnaryCall<_mlmesh_retrainer_v1_ListRunsRequest__Output, _mlmesh_retrainer_v1_ListRunsResponse>;
  
  /**
   * Starts a run of `model` now (trigger "manual"). A run of the model already active: the
   * trigger is coalesced into it and that run is answered (coalesced = true). Unknown model or a
   * model without a `retraining` section in config.json: NOT_FOUND / FAILED_PRECONDITION.
   */
  Retrain: grpc.handleUnaryCall<_mlmesh_retrainer_v1_RetrainRunRequest__Output, _mlmesh_retrainer_v1_RunResponse>;
  
  /**
   * The run now, then on every change (and the training job's output lines as they come) until
   * it ends.
   */
  WatchRun: grpc.handleServerStreamingCall<_mlmesh_retrainer_v1_GetRunRequest__Output, _mlmesh_retrainer_v1_RunUpdate>;
  
}

export interface RetrainerServiceDefinition extends grpc.ServiceDefinition {
  CancelRun: MethodDefinition<_mlmesh_retrainer_v1_CancelRunRequest, _mlmesh_retrainer_v1_RunResponse, _mlmesh_retrainer_v1_CancelRunRequest__Output, _mlmesh_retrainer_v1_RunResponse__Output>
  GetLineage: MethodDefinition<_mlmesh_retrainer_v1_GetLineageRequest, _mlmesh_retrainer_v1_Lineage, _mlmesh_retrainer_v1_GetLineageRequest__Output, _mlmesh_retrainer_v1_Lineage__Output>
  GetRun: MethodDefinition<_mlmesh_retrainer_v1_GetRunRequest, _mlmesh_retrainer_v1_RunResponse, _mlmesh_retrainer_v1_GetRunRequest__Output, _mlmesh_retrainer_v1_RunResponse__Output>
  ListRuns: MethodDefinition<_mlmesh_retrainer_v1_ListRunsRequest, _mlmesh_retrainer_v1_ListRunsResponse, _mlmesh_retrainer_v1_ListRunsRequest__Output, _mlmesh_retrainer_v1_ListRunsResponse__Output>
  Retrain: MethodDefinition<_mlmesh_retrainer_v1_RetrainRunRequest, _mlmesh_retrainer_v1_RunResponse, _mlmesh_retrainer_v1_RetrainRunRequest__Output, _mlmesh_retrainer_v1_RunResponse__Output>
  WatchRun: MethodDefinition<_mlmesh_retrainer_v1_GetRunRequest, _mlmesh_retrainer_v1_RunUpdate, _mlmesh_retrainer_v1_GetRunRequest__Output, _mlmesh_retrainer_v1_RunUpdate__Output>
}
