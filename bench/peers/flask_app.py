"""The Flask peer of `npm run bench`: the common recipe for serving a torch model over HTTP.

    MLMESH_PEER_MODEL=model.pt gunicorn -w $(nproc) -b 127.0.0.1:PORT --chdir bench/peers flask_app:app

One TorchScript model per gunicorn worker (loaded at import, after the fork), one intra-op thread
(`torch.set_num_threads(1)`: the workers are the parallelism), `torch.inference_mode()` per request.

    POST /predict                    {"instances": [[64 floats], ...]} -> {"predictions": [[10 floats], ...]}
    POST /v2/models/<name>/infer     KServe v2 JSON: {"inputs": [{"name", "shape", "datatype": "FP32", "data"}]}
                                     -> {"model_name", "outputs": [{"name": "probabilities", "shape", "datatype", "data"}]}
    GET  /health                     200 "ok" once the model is loaded

A body that is not of that form gets 400 with a message naming the field.
"""

import os

import torch
from flask import Flask, jsonify, request

torch.set_num_threads(1)
MODEL_PATH = os.environ["MLMESH_PEER_MODEL"]
MODEL_NAME = os.environ.get("MLMESH_PEER_MODEL_NAME", "model")
model = torch.jit.load(MODEL_PATH).eval()
app = Flask(__name__)


def bad(msg):
    return jsonify({"error": msg}), 400


def run(rows):
    x = torch.tensor(rows, dtype=torch.float32)
    if x.dim() != 2:
        raise ValueError("a list of rows of numbers")
    with torch.inference_mode():
        return model(x)


@app.get("/health")
def health():
    return "ok"


@app.post("/predict")
def predict():
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("instances"), list):
        return bad("'instances' must be a list of rows")
    try:
        y = run(body["instances"])
    except (ValueError, TypeError, RuntimeError) as e:
        return bad("'instances': %s" % e)
    return jsonify({"predictions": y.tolist()})


@app.post("/v2/models/<name>/infer")
def infer_v2(name):
    body = request.get_json(silent=True)
    inputs = body.get("inputs") if isinstance(body, dict) else None
    if not isinstance(inputs, list) or len(inputs) != 1 or not isinstance(inputs[0], dict):
        return bad("'inputs' must hold one tensor")
    t = inputs[0]
    if t.get("datatype") != "FP32":
        return bad("'inputs[0].datatype' must be FP32")
    shape = t.get("shape")
    if not isinstance(shape, list) or len(shape) != 2:
        return bad("'inputs[0].shape' must be [rows, features]")
    try:
        x = torch.tensor(t.get("data"), dtype=torch.float32).reshape(shape)
        with torch.inference_mode():
            y = model(x)
    except (ValueError, TypeError, RuntimeError) as e:
        return bad("'inputs[0].data': %s" % e)
    return jsonify({
        "model_name": name,
        "outputs": [{"name": "probabilities", "shape": list(y.shape), "datatype": "FP32", "data": y.flatten().tolist()}],
    })
