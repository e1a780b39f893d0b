"""Writes the gateway tests' model: gw_risk, FP32 x [-1, 5] -> probabilities FP32 [-1, 2]
(softmax of a linear layer), as two versions with different weights, into
test/fixtures/gateway/models/gw_risk/<version>/model.onnx. The weights are fixed numbers, so the
tests can compute the expected outputs themselves. Needs Debian's python3-onnx and numpy.
Run `node dist/tools/cli/main.js manifest <version dir> --source tools/make_gateway_fixtures.py`
for each version afterwards (the script prints the commands)."""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'test', 'fixtures', 'gateway', 'models', 'gw_risk')

WEIGHTS = {
    1: (np.array([[0.8, -0.8], [-0.5, 0.5], [0.3, -0.1], [0.0, 0.2], [-0.2, 0.1]], dtype=np.float32), np.array([0.1, -0.1], dtype=np.float32)),
    2: (np.array([[-0.6, 0.6], [0.9, -0.9], [0.1, 0.1], [0.4, -0.4], [0.0, 0.3]], dtype=np.float32), np.array([-0.2, 0.2], dtype=np.float32)),
}


def model(w, b):
    x = helper.make_tensor_value_info('x', TensorProto.FLOAT, ['batch', 5])
    y = helper.make_tensor_value_info('probabilities', TensorProto.FLOAT, ['batch', 2])
    nodes = [
        helper.make_node('MatMul', ['x', 'W'], ['xw']),
        helper.make_node('Add', ['xw', 'B'], ['logits']),
        helper.make_node('Softmax', ['logits'], ['probabilities'], axis=1),
    ]
    graph = helper.make_graph(nodes, 'gw_risk', [x], [y], [numpy_helper.from_array(w, 'W'), numpy_helper.from_array(b, 'B')])
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)], producer_name='make_gateway_fixtures.py')
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


for version, (w, b) in WEIGHTS.items():
    d = os.path.join(ROOT, str(version))
    os.makedirs(d, exist_ok=True)
    onnx.save(model(w, b), os.path.join(d, 'model.onnx'))
    print(f'node dist/tools/cli/main.js manifest {os.path.relpath(d)} --source tools/make_gateway_fixtures.py')
