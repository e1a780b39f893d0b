#!/usr/bin/python3
"""The grpcio peer of `npm run bench`: the Open Inference Protocol's ModelInfer in Python.

    PYTHONPATH=<dir with inference/grpc_service_pb2*.py> \
      /usr/bin/python3 bench/peers/grpc_server.py --model model.pt --name digits_mlp \
      [--processes $(nproc)] [--threads 8]

The generated modules come from protos/inference/grpc_service.proto, compiled by the benchmark
with `/usr/bin/python3 -m grpc_tools.protoc` into a temporary folder (never committed).

Deployment, as grpcio documents it for CPU-bound handlers (its multiprocessing example): one
server process per core, all bound to the same port with SO_REUSEPORT (the kernel spreads the
connections over them), each with a thread pool (`--threads`) in front of one TorchScript model
with one intra-op thread (`torch.set_num_threads(1)`), called under `torch.inference_mode()`.
The parent reserves the port, starts the processes, prints `{"port": N, "processes": P}` once
every one is serving, and stops them on SIGTERM.

ModelInfer takes the input as raw_input_contents (little-endian FP32, what mlmesh's clients and
the benchmark send) or as fp32_contents, shape [rows, features], and answers raw
FP32 `probabilities`. ModelReady and ServerLive answer too. Bad requests get INVALID_ARGUMENT
naming the field; another model name, NOT_FOUND.
"""

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import time
from concurrent import futures

import grpc
import numpy as np
import torch
from inference import grpc_service_pb2 as pb
from inference import grpc_service_pb2_grpc as pb_grpc


class Inference(pb_grpc.GRPCInferenceServiceServicer):
    def __init__(self, model, name):
        self.model = model
        self.name = name

    def ServerLive(self, request, context):
        return pb.ServerLiveResponse(live=True)

    def ServerReady(self, request, context):
        return pb.ServerReadyResponse(ready=True)

    def ModelReady(self, request, context):
        return pb.ModelReadyResponse(ready=request.name == self.name)

    def ModelInfer(self, request, context):
        if request.model_name != self.name:
            context.abort(grpc.StatusCode.NOT_FOUND, "model '%s' is not served here (only '%s')" % (request.model_name, self.name))
        if len(request.inputs) != 1:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "inputs: expected 1 tensor, got %d" % len(request.inputs))
        t = request.inputs[0]
        if t.datatype != "FP32" or len(t.shape) != 2:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "inputs[0]: expected FP32 [rows, features], got %s %s" % (t.datatype, list(t.shape)))
        rows, cols = int(t.shape[0]), int(t.shape[1])
        if request.raw_input_contents:
            x = np.frombuffer(request.raw_input_contents[0], dtype="<f4")
        else:
            x = np.asarray(t.contents.fp32_contents, dtype=np.float32)
        if x.size != rows * cols:
            context.abort(grpc.StatusCode.INVALID_ARGUMENT, "inputs[0]: %d values for shape [%d, %d]" % (x.size, rows, cols))
        with torch.inference_mode():
            y = self.model(torch.from_numpy(x.reshape(rows, cols).copy())).numpy()
        out = pb.ModelInferResponse.InferOutputTensor(name="probabilities", datatype="FP32", shape=list(y.shape))
        return pb.ModelInferResponse(model_name=self.name, model_version="1", id=request.id, outputs=[out], raw_output_contents=[y.astype("<f4").tobytes()])


def serve_child(args):
    torch.set_num_threads(1)
    model = torch.jit.load(args.model).eval()
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=args.threads),
        options=[("grpc.so_reuseport", 1), ("grpc.max_receive_message_length", 64 * 1024 * 1024)],
    )
    pb_grpc.add_GRPCInferenceServiceServicer_to_server(Inference(model, args.name), server)
    if server.add_insecure_port("127.0.0.1:%d" % args.port) != args.port:
        sys.exit("could not bind 127.0.0.1:%d" % args.port)
    server.start()
    print("ready", flush=True)
    signal.signal(signal.SIGTERM, lambda *_: server.stop(0))
    server.wait_for_termination()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--processes", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--child", action="store_true")
    args = ap.parse_args()
    if args.child:
        serve_child(args)
        return
    # Reserve a port every process can share (SO_REUSEPORT), as grpcio's multiprocessing example does.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    base = [sys.executable, os.path.abspath(__file__), "--child", "--model", args.model, "--name", args.name, "--threads", str(args.threads), "--port", str(port)]
    children = [subprocess.Popen(base, stdout=subprocess.PIPE, text=True) for _ in range(args.processes)]

    def stop(code=0):
        for c in children:
            c.terminate()
        for c in children:
            c.wait()
        sys.exit(code)

    signal.signal(signal.SIGTERM, lambda *_: stop(0))
    for c in children:
        if c.stdout.readline().strip() != "ready":
            stop("a server process did not start")
    print(json.dumps({"port": port, "processes": args.processes, "threads": args.threads}), flush=True)
    while all(c.poll() is None for c in children):
        time.sleep(0.5)
    sys.exit("a server process exited")


if __name__ == "__main__":
    main()
