#!/usr/bin/env python3
"""How a Python job talks to the mlmesh services: a predict call and a feature read.

The stubs come from the package's .proto files, generated once with grpc_tools (see README.md):

    python3 -m grpc_tools.protoc -I protos --python_out=examples/python/gen \
        --grpc_python_out=examples/python/gen inference/grpc_service.proto inference/model_config.proto \
        mlmesh/features/v1/features.proto google/rpc/status.proto google/rpc/error_details.proto

Run it with the generated folder on the path:

    PYTHONPATH=examples/python/gen python3 examples/python/mesh_job.py \
        --inference 127.0.0.1:8001 --model digits_mlp --input input \
        --features 127.0.0.1:8003 --feature-refs clicks_1h@1 --entities u1,u2

It prints one JSON object: the model's outputs, the feature values, and how a refused request
reads (the field violations the service sends in grpc-status-details-bin).
"""
import argparse
import json
import sys

import grpc
import numpy as np

from google.rpc import error_details_pb2, status_pb2
from inference import grpc_service_pb2 as oip
from inference import grpc_service_pb2_grpc as oip_grpc
from mlmesh.features.v1 import features_pb2 as fs
from mlmesh.features.v1 import features_pb2_grpc as fs_grpc

# Open Inference Protocol datatypes and numpy's little-endian dtypes (tensors travel little-endian).
DTYPES = {
    "BOOL": "|b1", "UINT8": "|u1", "UINT16": "<u2", "UINT32": "<u4", "UINT64": "<u8",
    "INT8": "|i1", "INT16": "<i2", "INT32": "<i4", "INT64": "<i8",
    "FP16": "<f2", "FP32": "<f4", "FP64": "<f8",
}
DATATYPE_OF = {np.dtype(v).newbyteorder("<"): k for k, v in DTYPES.items()}

# Every call gets a deadline, as the TypeScript client's default.
TIMEOUT_S = 10.0


def predict(channel, model, inputs, version="", request_id=""):
    """Runs `model` on named numpy arrays; returns the outputs as numpy arrays (raw tensors both ways)."""
    stub = oip_grpc.GRPCInferenceServiceStub(channel)
    request = oip.ModelInferRequest(model_name=model, model_version=version, id=request_id)
    for name, array in inputs.items():
        array = np.ascontiguousarray(array)
        datatype = DATATYPE_OF[array.dtype.newbyteorder("<")]
        request.inputs.add(name=name, datatype=datatype, shape=list(array.shape))
        request.raw_input_contents.append(array.astype(DTYPES[datatype], copy=False).tobytes())
    metadata = [("x-request-id", request_id)] if request_id else []
    response = stub.ModelInfer(request, timeout=TIMEOUT_S, metadata=metadata)
    return {
        out.name: np.frombuffer(raw, dtype=DTYPES[out.datatype]).reshape(list(out.shape))
        for out, raw in zip(response.outputs, response.raw_output_contents)
    }, response.model_version


def read_features(channel, refs, entity_ids):
    """Latest values of feature refs (name@version) for entities: {ref: [value or None, ...]}."""
    stub = fs_grpc.FeatureServiceStub(channel)
    request = fs.GetOnlineFeaturesRequest(features=fs.FeatureList(refs=refs), entity_ids=entity_ids)
    response = stub.GetOnlineFeatures(request, timeout=TIMEOUT_S)
    table = {}
    for ref, column in zip(response.features, response.columns):
        values = []
        for value in column.values:
            kind = value.WhichOneof("kind")
            if kind is None:
                values.append(None)
            elif kind == "float_vector_value":
                values.append(list(value.float_vector_value.values))
            else:
                values.append(getattr(value, kind))
        table[ref] = values
    return table


def status_details(error):
    """The google.rpc.Status of a failed call: code, message, field violations, error reason."""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            out = {"code": status.code, "message": status.message, "field_violations": [], "reason": None}
            for detail in status.details:
                if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                    bad = error_details_pb2.BadRequest()
                    detail.Unpack(bad)
                    out["field_violations"] += [{"field": v.field, "description": v.description} for v in bad.field_violations]
                elif detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                    info = error_details_pb2.ErrorInfo()
                    detail.Unpack(info)
                    out["reason"] = info.reason
            return out
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--inference", required=True, help="inference service address, host:port")
    parser.add_argument("--model", default="digits_mlp")
    parser.add_argument("--input", default="input", help="the model's input tensor")
    parser.add_argument("--width", type=int, default=64, help="features per row")
    parser.add_argument("--pixels", help="JSON list of width values for one row (default: zeros)")
    parser.add_argument("--features", help="feature service address, host:port")
    parser.add_argument("--feature-refs", default="", help="comma-separated name@version refs")
    parser.add_argument("--entities", default="", help="comma-separated entity ids")
    args = parser.parse_args(argv)

    row = np.asarray(json.loads(args.pixels) if args.pixels else np.zeros(args.width), dtype=np.float32).reshape(1, args.width)
    result = {}
    with grpc.insecure_channel(args.inference) as channel:
        outputs, version = predict(channel, args.model, {args.input: row}, request_id="python-job-1")
        result["model_version"] = version
        result["outputs"] = {name: {"shape": list(a.shape), "dtype": str(a.dtype), "values": a.ravel().tolist()} for name, a in outputs.items()}
        try:
            predict(channel, args.model, {args.input: row[:, : args.width - 1]})
            result["refused"] = None
        except grpc.RpcError as error:
            result["refused"] = {"status": error.code().name, "details": status_details(error)}
    if args.features:
        with grpc.insecure_channel(args.features) as channel:
            result["features"] = read_features(channel, args.feature_refs.split(","), args.entities.split(","))
    json.dump(result, sys.stdout)
    print()


if __name__ == "__main__":
    main()
