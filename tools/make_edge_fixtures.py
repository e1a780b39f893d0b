#!/usr/bin/python3
"""Generate fixture models at the edges of what mlmesh serves.

* ``digits_logreg_zipmap``: a scikit-learn model shaped like skl2onnx's default export (below);
* ``string_identity``: Identity on a string tensor ``text`` [N] (BYTES, which mlmesh does not
  serve: the load must say so);
* ``dynamic_identity``: Identity on FP32 ``x`` [N, M], both dimensions dynamic (for shapes
  such as [0, 2^52] that only a fully dynamic model lets through the shape check).

digits_logreg_zipmap
--------------------

skl2onnx converts a classifier with ``zipmap=True`` by default: besides the label it returns
the probabilities as ``output_probability``, a *sequence of maps* (class -> probability) made
by the ``ZipMap`` operator of the ``ai.onnx.ml`` domain. onnxruntime-node cannot return such a
value ("Non tensor type is temporarily not supported"), so mlmesh must never fetch it unless a
config asks to serve it.

skl2onnx is not packaged by Debian, so this script trains the model with scikit-learn and
writes the same graph skl2onnx writes for a multinomial ``LogisticRegression`` by hand with
``onnx.helper``::

    float_input FP32 [N, 64]
      -> LinearClassifier (ai.onnx.ml; coefficients, intercepts, post_transform SOFTMAX)
           -> label INT64 [N]            -> Identity -> output_label INT64 [N]
           -> probability_tensor [N, 10] -> Normalizer (L1) -> probabilities
      -> ZipMap (classlabels_int64s 0..9) -> output_probability seq(map(int64, float))

(with skl2onnx installed the same model comes from
``to_onnx(clf, X[:1], options={'zipmap': True})``; ``zipmap=False`` would make
``output_probability`` a plain FP32 [N, 10] tensor.)

Outputs (committed, small):

* ``test/fixtures/models/<name>/1/model.onnx`` + ``manifest.json`` for each model (no
  config.json: tests write the configs they need);
* ``test/fixtures/parity/digits_logreg_zipmap/labels.npy``: int64 [200], scikit-learn's own
  ``predict`` on the 200 held-out rows of ``test/fixtures/parity/digits_mlp/inputs.npy`` (the
  same split as tools/make_fixtures.py).

Run from the repo root with Debian's Python (python3-sklearn, python3-onnx, and python3-torch
because the data split and manifest helpers are shared with tools/make_fixtures.py)::

    /usr/bin/python3 tools/make_edge_fixtures.py

Deterministic: reruns write byte-identical files.
"""

import os
import sys

import numpy as np
import onnx
import sklearn
from onnx import TensorProto, helper
from sklearn.linear_model import LogisticRegression

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures import load_data, provenance, save_npy, write_model  # noqa: E402

NAME = "digits_logreg_zipmap"
ML_DOMAIN = "ai.onnx.ml"
PRODUCED_BY = "tools/make_edge_fixtures.py"
OUT = "test/fixtures/models"


def build(clf, n_features):
    classes = [int(c) for c in clf.classes_]
    nodes = [
        helper.make_node(
            "LinearClassifier", ["float_input"], ["label", "probability_tensor"],
            name="LinearClassifier", domain=ML_DOMAIN,
            classlabels_ints=classes,
            coefficients=clf.coef_.astype(np.float32).ravel().tolist(),
            intercepts=clf.intercept_.astype(np.float32).tolist(),
            multi_class=1,
            post_transform="SOFTMAX"),
        helper.make_node("Normalizer", ["probability_tensor"], ["probabilities"],
                         name="Normalizer", domain=ML_DOMAIN, norm="L1"),
        helper.make_node("Identity", ["label"], ["output_label"], name="Identity"),
        helper.make_node("ZipMap", ["probabilities"], ["output_probability"],
                         name="ZipMap", domain=ML_DOMAIN, classlabels_int64s=classes),
    ]
    # sequence<map<int64, float>>, as skl2onnx declares output_probability.
    map_type = onnx.TypeProto()
    map_type.map_type.key_type = TensorProto.INT64
    map_type.map_type.value_type.CopyFrom(helper.make_tensor_type_proto(TensorProto.FLOAT, []))
    seq_of_maps = helper.make_sequence_type_proto(map_type)
    graph = helper.make_graph(
        nodes, "digits_logreg",
        [helper.make_tensor_value_info("float_input", TensorProto.FLOAT, [None, n_features])],
        [helper.make_tensor_value_info("output_label", TensorProto.INT64, [None]),
         helper.make_value_info("output_probability", seq_of_maps)])
    model = helper.make_model(
        graph, producer_name="skl2onnx-equivalent (tools/make_sklearn_fixtures.py)",
        opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid(ML_DOMAIN, 1)])
    onnx.checker.check_model(model)
    return model.SerializeToString()


def identity(name, elem_type, shape, tensor):
    graph = helper.make_graph(
        [helper.make_node("Identity", [tensor], ["out"], name="identity")], name,
        [helper.make_tensor_value_info(tensor, elem_type, shape)],
        [helper.make_tensor_value_info("out", elem_type, shape)])
    model = helper.make_model(graph, producer_name=PRODUCED_BY,
                              opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    return model.SerializeToString()


def plain_provenance():
    prov = provenance(None, "onnx %s" % onnx.__version__, {})
    prov["produced_by"] = PRODUCED_BY
    return prov


def main():
    data = load_data()
    clf = LogisticRegression(max_iter=2000, random_state=0)
    clf.fit(data["X_train"], data["y_train"])
    labels = clf.predict(data["X_test"]).astype(np.int64)
    acc = float((labels == data["y_test"]).mean())
    if acc < 0.9:
        sys.exit("%s test accuracy %.4f < 0.9" % (NAME, acc))
    onnx_bytes = build(clf, data["X_train"].shape[1])
    prov = provenance(data["training_data_sha256"], "sklearn %s" % sklearn.__version__,
                      {"test_accuracy": acc})
    prov["produced_by"] = PRODUCED_BY
    write_model(OUT, NAME, onnx_bytes, None, prov)
    save_npy(os.path.join("test/fixtures/parity", NAME, "labels.npy"), labels, np.int64)
    print("    %s test_accuracy = %.4f" % (NAME, acc))
    write_model(OUT, "string_identity", identity("string_identity", TensorProto.STRING, ["N"], "text"),
                None, plain_provenance())
    write_model(OUT, "dynamic_identity", identity("dynamic_identity", TensorProto.FLOAT, ["N", "M"], "x"),
                None, plain_provenance())


if __name__ == "__main__":
    main()
