// Original file: protos/mlmesh/rollout/v1/rollout.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GetRolloutRequest as _mlmesh_rollout_v1_GetRolloutRequest, GetRolloutRequest__Output as _mlmesh_rollout_v1_GetRolloutRequest__Output } from '../../../mlmesh/rollout/v1/GetRolloutRequest.js';
import type { ListRolloutsRequest as _mlmesh_rollout_v1_ListRolloutsRequest, ListRolloutsRequest__Output as _mlmesh_rollout_v1_ListRolloutsRequest__Output } from '../../../mlmesh/rollout/v1/ListRolloutsRequest.js';
import type { ListRolloutsResponse as _mlmesh_rollout_v1_ListRolloutsResponse, ListRolloutsResponse__Output as _mlmesh_rollout_v1_ListRolloutsResponse__Output } from '../../../mlmesh/rollout/v1/ListRolloutsResponse.js';
import type { Rollout as _mlmesh_rollout_v1_Rollout, Rollout__Output as _mlmesh_rollout_v1_Rollout__Output } from '../../../mlmesh/rollout/v1/Rollout.js';
import type { RolloutActionRequest as _mlmesh_rollout_v1_RolloutActionRequest, RolloutActionRequest__Output as _mlmesh_rollout_v1_RolloutActionRequest__Output } from '../../../mlmesh/rollout/v1/RolloutActionRequest.js';
import type { RolloutResponse as _mlmesh_rollout_v1_RolloutResponse, RolloutResponse__Output as _mlmesh_rollout_v1_RolloutResponse__Output } from '../../../mlmesh/rollout/v1/RolloutResponse.js';
import type { StartRolloutRequest as _mlmesh_rollout_v1_StartRolloutRequest, StartRolloutRequest__Output as _mlmesh_rollout_v1_StartRolloutRequest__Output } from '../../../mlmesh/rollout/v1/StartRolloutRequest.js';

export interface RolloutServiceClient extends grpc.Client {
  /**
   * Rolls back now: the candidate's weight goes to 0, then it is unloaded after the drain.
   */
  Abort(argument: _mlmesh_rollout_v1_RolloutActionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  Abort(argument: _mlmesh_rollout_v1_RolloutActionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  Abort(argument: _mlmesh_rollout_v1_RolloutActionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  Abort(argument: _mlmesh_rollout_v1_RolloutActionRequest, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Rolls back now: the candidate's weight goes to 0, then it is unloaded after the drain.
   */
  abort(argument: _mlmesh_rollout_v1_RolloutActionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  abort(argument: _mlmesh_rollout_v1_RolloutActionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  abort(argument: _mlmesh_rollout_v1_RolloutActionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  abort(argument: _mlmesh_rollout_v1_RolloutActionRequest, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The model's current (or last) rollout. None: NOT_FOUND.
   */
  GetRollout(argument: _mlmesh_rollout_v1_GetRolloutRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  GetRollout(argument: _mlmesh_rollout_v1_GetRolloutRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  GetRollout(argument: _mlmesh_rollout_v1_GetRolloutRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  GetRollout(argument: _mlmesh_rollout_v1_GetRolloutRequest, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  /**
   * The model's current (or last) rollout. None: NOT_FOUND.
   */
  getRollout(argument: _mlmesh_rollout_v1_GetRolloutRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  getRollout(argument: _mlmesh_rollout_v1_GetRolloutRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  getRollout(argument: _mlmesh_rollout_v1_GetRolloutRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  getRollout(argument: _mlmesh_rollout_v1_GetRolloutRequest, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Every model's current or last rollout.
   */
  ListRollouts(argument: _mlmesh_rollout_v1_ListRolloutsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_rollout_v1_ListRolloutsResponse__Output>): grpc.ClientUnaryCall;
  ListRollouts(argument: _mlmesh_rollout_v1_ListRolloutsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_rollout_v1_ListRolloutsResponse__Output>): grpc.ClientUnaryCall;
  ListRollouts(argument: _mlmesh_rollout_v1_ListRolloutsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_rollout_v1_ListRolloutsResponse__Output>): grpc.ClientUnaryCall;
  ListRollouts(argument: _mlmesh_rollout_v1_ListRolloutsRequest, callback: grpc.requestCallback<_mlmesh_rollout_v1_ListRolloutsResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Every model's current or last rollout.
   */
  listRollouts(argument: _mlmesh_rollout_v1_ListRolloutsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_rollout_v1_ListRolloutsResponse__Output>): grpc.ClientUnaryCall;
  listRollouts(argument: _mlmesh_rollout_v1_ListRolloutsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_rollout_v1_ListRolloutsResponse__Output>): grpc.ClientUnaryCall;
  listRollouts(argument: _mlmesh_rollout_v1_ListRolloutsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_rollout_v1_ListRolloutsResponse__Output>): grpc.ClientUnaryCall;
  listRollouts(argument: _mlmesh_rollout_v1_ListRolloutsRequest, callback: grpc.requestCallback<_mlmesh_rollout_v1_ListRolloutsResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Holds the rollout at its step (the route stays as it is). Not running: FAILED_PRECONDITION.
   */
  Pause(argument: _mlmesh_rollout_v1_RolloutActionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  Pause(argument: _mlmesh_rollout_v1_RolloutActionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  Pause(argument: _mlmesh_rollout_v1_RolloutActionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  Pause(argument: _mlmesh_rollout_v1_RolloutActionRequest, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Holds the rollout at its step (the route stays as it is). Not running: FAILED_PRECONDITION.
   */
  pause(argument: _mlmesh_rollout_v1_RolloutActionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  pause(argument: _mlmesh_rollout_v1_RolloutActionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  pause(argument: _mlmesh_rollout_v1_RolloutActionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  pause(argument: _mlmesh_rollout_v1_RolloutActionRequest, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Sends 100% to the candidate now (no more analysis); the baseline is retired after the grace.
   */
  Promote(argument: _mlmesh_rollout_v1_RolloutActionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  Promote(argument: _mlmesh_rollout_v1_RolloutActionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  Promote(argument: _mlmesh_rollout_v1_RolloutActionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  Promote(argument: _mlmesh_rollout_v1_RolloutActionRequest, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Sends 100% to the candidate now (no more analysis); the baseline is retired after the grace.
   */
  promote(argument: _mlmesh_rollout_v1_RolloutActionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  promote(argument: _mlmesh_rollout_v1_RolloutActionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  promote(argument: _mlmesh_rollout_v1_RolloutActionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  promote(argument: _mlmesh_rollout_v1_RolloutActionRequest, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Resumes a paused rollout at the step it was in; the step's hold starts again.
   */
  Resume(argument: _mlmesh_rollout_v1_RolloutActionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  Resume(argument: _mlmesh_rollout_v1_RolloutActionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  Resume(argument: _mlmesh_rollout_v1_RolloutActionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  Resume(argument: _mlmesh_rollout_v1_RolloutActionRequest, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Resumes a paused rollout at the step it was in; the step's hold starts again.
   */
  resume(argument: _mlmesh_rollout_v1_RolloutActionRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  resume(argument: _mlmesh_rollout_v1_RolloutActionRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  resume(argument: _mlmesh_rollout_v1_RolloutActionRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  resume(argument: _mlmesh_rollout_v1_RolloutActionRequest, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * Starts a rollout of `candidate`. The plan's zero fields come from the model's config.json
   * `rollout` section, then the defaults. A rollout already active for the model:
   * ALREADY_EXISTS; candidate not served by inference: FAILED_PRECONDITION; a bad plan field:
   * INVALID_ARGUMENT naming it.
   */
  StartRollout(argument: _mlmesh_rollout_v1_StartRolloutRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  StartRollout(argument: _mlmesh_rollout_v1_StartRolloutRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  StartRollout(argument: _mlmesh_rollout_v1_StartRolloutRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  StartRollout(argument: _mlmesh_rollout_v1_StartRolloutRequest, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  /**
   * Starts a rollout of `candidate`. The plan's zero fields come from the model's config.json
   * `rollout` section, then the defaults. A rollout already active for the model:
   * ALREADY_EXISTS; candidate not served by inference: FAILED_PRECONDITION; a bad plan field:
   * INVALID_ARGUMENT naming it.
   */
  startRollout(argument: _mlmesh_rollout_v1_StartRolloutRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  startRollout(argument: _mlmesh_rollout_v1_StartRolloutRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  startRollout(argument: _mlmesh_rollout_v1_StartRolloutRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  startRollout(argument: _mlmesh_rollout_v1_StartRolloutRequest, callback: grpc.requestCallback<_mlmesh_rollout_v1_RolloutResponse__Output>): grpc.ClientUnaryCall;
  
  /**
   * The rollout now, then a snapshot on every change, until it ends (a terminal state) or the
   * caller cancels. None: NOT_FOUND.
   */
  WatchRollout(argument: _mlmesh_rollout_v1_GetRolloutRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_mlmesh_rollout_v1_Rollout__Output>;
  WatchRollout(argument: _mlmesh_rollout_v1_GetRolloutRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_mlmesh_rollout_v1_Rollout__Output>;
  /**
   * The rollout now, then a snapshot on every change, until it ends (a terminal state) or the
   * caller cancels. None: NOT_FOUND.
   */
  watchRollout(argument: _mlmesh_rollout_v1_GetRolloutRequest, metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientReadableStream<_mlmesh_rollout_v1_Rollout__Output>;
  watchRollout(argument: _mlmesh_rollout_v1_GetRolloutRequest, options?: grpc.CallOptions): grpc.ClientReadableStream<_mlmesh_rollout_v1_Rollout__Output>;
  
}

export interface RolloutServiceHandlers extends grpc.UntypedServiceImplementation {
  /**
   * Rolls back now: the candidate's weight goes to 0, then it is unloaded after the drain.
   */
  Abort: grpc.handleUnaryCall<_mlmesh_rollout_v1_RolloutActionRequest__Output, _mlmesh_rollout_v1_RolloutResponse>;
  
  /**
   * The model's current (or last) rollout. None: NOT_FOUND.
   */
  GetRollout: grpc.handleUnaryCall<_mlmesh_rollout_v1_GetRolloutRequest__Output, _mlmesh_rollout_v1_RolloutResponse>;
  
  /**
   * Every model's current or last rollout.
   */
  ListRollouts: grpc.handleUnaryCall<_mlmesh_rollout_v1_ListRolloutsRequest__Output, _mlmesh_rollout_v1_ListRolloutsResponse>;
  
  /**
   * Holds the rollout at its step (the route stays as it is). Not running: FAILED_PRECONDITION.
   */
  Pause: grpc.handleUnaryCall<_mlmesh_rollout_v1_RolloutActionRequest__Output, _mlmesh_rollout_v1_RolloutResponse>;
  
  /**
   * Sends 100% to the candidate now (no more analysis); the baseline is retired after the grace.
   */
  Promote: grpc.handleUnaryCall<_mlmesh_rollout_v1_RolloutActionRequest__Output, _mlmesh_rollout_v1_RolloutResponse>;
  
  /**
   * Resumes a paused rollout at the step it was in; the step's hold starts again.
   */
  Resume: grpc.handleUnaryCall<_mlmesh_rollout_v1_RolloutActionRequest__Output, _mlmesh_rollout_v1_RolloutResponse>;
  
  /**
   * Starts a rollout of `candidate`. The plan's zero fields come from the model's config.json
   * `rollout` section, then the defaults. A rollout already active for the model:
   * ALREADY_EXISTS; candidate not served by inference: FAILED_PRECONDITION; a bad plan field:
   * INVALID_ARGUMENT naming it.
   */
  StartRollout: grpc.handleUnaryCall<_mlmesh_rollout_v1_StartRolloutRequest__Output, _mlmesh_rollout_v1_RolloutResponse>;
  
  /**
   * The rollout now, then a snapshot on every change, until it ends (a terminal state) or the
   * caller cancels. None: NOT_FOUND.
   */
  WatchRollout: grpc.handleServerStreamingCall<_mlmesh_rollout_v1_GetRolloutRequest__Output, _mlmesh_rollout_v1_Rollout>;
  
}

export interface RolloutServiceDefinition extends grpc.ServiceDefinition {
  Abort: MethodDefinition<_mlmesh_rollout_v1_RolloutActionRequest, _mlmesh_rollout_v1_RolloutResponse, _mlmesh_rollout_v1_RolloutActionRequest__Output, _mlmesh_rollout_v1_RolloutResponse__Output>
  GetRollout: MethodDefinition<_mlmesh_rollout_v1_GetRolloutRequest, _mlmesh_rollout_v1_RolloutResponse, _mlmesh_rollout_v1_GetRolloutRequest__Output, _mlmesh_rollout_v1_RolloutResponse__Output>
  ListRollouts: MethodDefinition<_mlmesh_rollout_v1_ListRolloutsRequest, _mlmesh_rollout_v1_ListRolloutsResponse, _mlmesh_rollout_v1_ListRolloutsRequest__Output, _mlmesh_rollout_v1_ListRolloutsResponse__Output>
  Pause: MethodDefinition<_mlmesh_rollout_v1_RolloutActionRequest, _mlmesh_rollout_v1_RolloutResponse, _mlmesh_rollout_v1_RolloutActionRequest__Output, _mlmesh_rollout_v1_RolloutResponse__Output>
  Promote: MethodDefinition<_mlmesh_rollout_v1_RolloutActionRequest, _mlmesh_rollout_v1_RolloutResponse, _mlmesh_rollout_v1_RolloutActionRequest__Output, _mlmesh_rollout_v1_RolloutResponse__Output>
  Resume: MethodDefinition<_mlmesh_rollout_v1_RolloutActionRequest, _mlmesh_rollout_v1_RolloutResponse, _mlmesh_rollout_v1_RolloutActionRequest__Output, _mlmesh_rollout_v1_RolloutResponse__Output>
  StartRollout: MethodDefinition<_mlmesh_rollout_v1_StartRolloutRequest, _mlmesh_rollout_v1_RolloutResponse, _mlmesh_rollout_v1_StartRolloutRequest__Output, _mlmesh_rollout_v1_RolloutResponse__Output>
  WatchRollout: MethodDefinition<_mlmesh_rollout_v1_GetRolloutRequest, _mlmesh_rollout_v1_Rollout, _mlmesh_rollout_v1_GetRolloutRequest__Output, _mlmesh_rollout_v1_Rollout__Output>
}
