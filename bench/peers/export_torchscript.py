#!/usr/bin/python3
"""Rebuild an mlmesh MLP's ONNX graph as a torch module and save it as TorchScript.

    /usr/bin/python3 bench/peers/export_torchscript.py MODEL.onnx OUT.pt

The peers of `npm run bench` (bench/peers/flask_app.py, bench/peers/grpc_server.py) serve the
same network as mlmesh: this reads the ONNX file mlmesh serves (digits_mlp, digits_mlp_wide from
tools/make_fixtures.py: Gemm/Relu layers and a final Softmax) and copies its initializers, bit
for bit, into nn.Linear layers. Any other operator is refused (exit 1, naming it), so a changed
fixture cannot be served by a different network without notice. The benchmark then checks the
peers' answers against onnxruntime over their own wire protocols.

Prints one JSON line: {"layers": [...], "parameters": N, "out": OUT.pt}.
"""

import json
import sys

import onnx
import torch
import torch.nn as nn
from onnx import numpy_helper


class Softmax1(nn.Module):
    def forward(self, x):
        return torch.softmax(x, dim=1)


def attr(node, name, default):
    for a in node.attribute:
        if a.name == name:
            return onnx.helper.get_attribute_value(a)
    return default


def to_module(model):
    inits = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
    layers, names = [], []
    for node in model.graph.node:
        if node.op_type == "Gemm":
            if attr(node, "transB", 0) != 1 or attr(node, "transA", 0) != 0 or attr(node, "alpha", 1.0) != 1.0 or attr(node, "beta", 1.0) != 1.0:
                sys.exit("Gemm %s: only transB=1, alpha=beta=1 (a torch Linear) is supported" % node.name)
            w = inits[node.input[1]]
            b = inits[node.input[2]]
            lin = nn.Linear(w.shape[1], w.shape[0])
            with torch.no_grad():
                lin.weight.copy_(torch.from_numpy(w.copy()))
                lin.bias.copy_(torch.from_numpy(b.copy()))
            layers.append(lin)
            names.append("Linear(%d,%d)" % (w.shape[1], w.shape[0]))
        elif node.op_type == "Relu":
            layers.append(nn.ReLU())
            names.append("ReLU")
        elif node.op_type == "Softmax" and attr(node, "axis", -1) in (1, -1):
            layers.append(Softmax1())
            names.append("Softmax")
        else:
            sys.exit("operator %s (%s) is not supported by the peer export" % (node.op_type, node.name))
    return nn.Sequential(*layers).eval(), names, inits


def main(argv):
    if len(argv) != 2:
        sys.exit("usage: export_torchscript.py MODEL.onnx OUT.pt")
    src, out = argv
    torch.set_num_threads(1)
    module, names, inits = to_module(onnx.load(src))
    # The copy is exact: every parameter equals its initializer bit for bit.
    params = [p.detach().numpy() for p in module.parameters()]
    onnx_params = [inits[n] for node in onnx.load(src).graph.node if node.op_type == "Gemm" for n in node.input[1:3]]
    if len(params) != len(onnx_params) or any(a.tobytes() != b.tobytes() for a, b in zip(params, onnx_params)):
        sys.exit("the torch parameters differ from the ONNX initializers")
    scripted = torch.jit.script(module)
    scripted.save(out)
    n = sum(p.numel() for p in module.parameters())
    print(json.dumps({"layers": names, "parameters": int(n), "out": out}))


if __name__ == "__main__":
    main(sys.argv[1:])
