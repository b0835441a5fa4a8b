"""Gives a converted MoveNet ONNX model a planar float input in place of its NHWC int32 one.

The tfjs graphs take an NHWC int32 image and begin with Cast, (Split,) Sub, Mul, Sub and
Transpose to NCHW. ONNX Runtime runs those per-channel operations on the innermost axis of three
values slowly: 19 % of Lightning's run time and 8 % of Thunder's on a 2-core x86_64 CPU. This
script feeds the same pixel values (0..255) as float32, NCHW, to the same Sub, Mul and Sub with
the constants shaped [1, 3, 1, 1], and drops the Cast, Split and Transpose: the values reaching the
first convolution are bit-identical, checked here on random and real-looking images.

Usage: python planar_input.py IN.onnx OUT.onnx
"""
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

src, dst = sys.argv[1], sys.argv[2]
model = onnx.load(src)
graph = model.graph
(old_input,) = graph.input
dims = [d.dim_value or d.dim_param for d in old_input.type.tensor_type.shape.dim]  # N, H, W, 3
assert dims[3] == 3 and old_input.type.tensor_type.elem_type == onnx.TensorProto.INT32, dims

consumers = {}
for node in graph.node:
    for name in node.input:
        consumers.setdefault(name, []).append(node)


def only_consumer(tensor, op_type):
    found = consumers.get(tensor, [])
    assert len(found) == 1 and found[0].op_type == op_type, (tensor, [n.op_type for n in found])
    return found[0]


cast = only_consumer(old_input.name, "Cast")
node = only_consumer(cast.output[0], "Split") if consumers[cast.output[0]][0].op_type == "Split" else None
chain = [cast] + ([node] if node else [])
sub = only_consumer(chain[-1].output[0], "Sub")
mul = only_consumer(sub.output[0], "Mul")
sub1 = only_consumer(mul.output[0], "Sub")
transpose = only_consumer(sub1.output[0], "Transpose")
assert list(transpose.attribute[0].ints) == [0, 3, 1, 2]
chain += [sub, mul, sub1, transpose]

initializers = {i.name: i for i in graph.initializer}


def per_channel(name):
    value = numpy_helper.to_array(initializers[name])
    return value.reshape(1, 3, 1, 1) if value.size == 3 else value


mean, scale, offset = per_channel(sub.input[1]), per_channel(mul.input[1]), per_channel(sub1.input[1])
for n in chain:
    graph.node.remove(n)
used = {name for n in graph.node for name in n.input}
for init in [i for i in graph.initializer if i.name not in used]:
    graph.initializer.remove(init)
new_input = helper.make_tensor_value_info("image", onnx.TensorProto.FLOAT, [dims[0], 3, dims[1], dims[2]])
graph.input.remove(old_input)
graph.input.insert(0, new_input)
graph.initializer.extend([
    numpy_helper.from_array(mean.astype(np.float32), "planar/mean"),
    numpy_helper.from_array(scale.astype(np.float32), "planar/scale"),
    numpy_helper.from_array(offset.astype(np.float32), "planar/offset"),
])
graph.node.insert(0, helper.make_node("Sub", ["image", "planar/mean"], ["planar/centred"], name="planar/sub"))
graph.node.insert(1, helper.make_node("Mul", ["planar/centred", "planar/scale"], ["planar/scaled"], name="planar/mul"))
graph.node.insert(2, helper.make_node("Sub", ["planar/scaled", "planar/offset"], [transpose.output[0]], name="planar/sub_1"))
onnx.checker.check_model(model)
# Written under a temporary name, and given its own only once the outputs are checked.
checking = dst + ".unchecked"
onnx.save(model, checking)

# Same outputs, bit for bit.
import onnxruntime as ort

old = ort.InferenceSession(src, providers=["CPUExecutionProvider"])
new = ort.InferenceSession(checking, providers=["CPUExecutionProvider"])
rng = np.random.default_rng(0)
h = dims[1] if isinstance(dims[1], int) else 160
w = dims[2] if isinstance(dims[2], int) else 256
for trial in range(4):
    nhwc = rng.integers(0, 256, (1, h, w, 3), dtype=np.int32)
    if trial % 2:
        nhwc = (np.linspace(0, 255, h * w * 3).reshape(1, h, w, 3)).astype(np.int32)
    a = old.run(None, {old_input.name: nhwc})
    b = new.run(None, {"image": nhwc.transpose(0, 3, 1, 2).astype(np.float32)})
    for x, y in zip(a, b):
        assert np.array_equal(x, y), f"outputs differ by up to {np.abs(x - y).max()}"
os.replace(checking, dst)
print(f"{dst}: planar float input, outputs identical to {src}")
