#!/usr/bin/python3
"""Generate the fixture `mlmesh model add` must refuse: a model exported without a dynamic batch axis.

``test/fixtures/onnx/fixed_batch.onnx``: a PyTorch ``Linear(4, 3)`` exported by
``torch.onnx.export`` the way most first exports are written, without ``dynamic_axes``, so its
input ``input`` is FP32 [1, 4] and its output ``output`` FP32 [1, 3]: every request would have
to be exactly one row, and the inference service could not batch it. Seeded; committed small
(a few hundred bytes), so CI needs no Python.

    /usr/bin/python3 tools/make_cli_fixtures.py
"""
import io
import os

import torch

OUT = "test/fixtures/onnx/fixed_batch.onnx"


def main():
    torch.manual_seed(0)
    model = torch.nn.Linear(4, 3).eval()
    buf = io.BytesIO()
    # No dynamic_axes: the batch dimension is frozen at the example's 1.
    torch.onnx.export(model, torch.zeros(1, 4), buf, input_names=["input"], output_names=["output"], opset_version=13)
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, "wb") as f:
        f.write(buf.getvalue())
    print("wrote %s (%d bytes)" % (OUT, len(buf.getvalue())))


if __name__ == "__main__":
    main()
