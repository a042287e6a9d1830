"""The seed example as a script: a 5x5 image, a 3x3 filter, ReLU, a two-class linear head and
cross-entropy, forward and backward, with the gradients checked by tc.gradcheck.

Run: python examples/seed_walkthrough.py [--smoke] [--out DIR]
(`tinygrad-conv explain` prints the same example with every number explained.)
"""

import argparse

import numpy as np

import tinygrad_conv as tc

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--smoke", action="store_true", help="the same (it is already quick)")
parser.add_argument("--out", help="folder for the graph picture (DOT, and SVG when it renders)")
args = parser.parse_args()

image = tc.Tensor(
    [[[[1, 2, 0, 1, 3], [0, 1, 3, 2, 1], [2, 0, 1, 0, 2], [1, 3, 2, 1, 0], [0, 1, 0, 2, 1]]]],
    dtype="float64",
    requires_grad=True,
    name="image",
)
filt = tc.Tensor(
    [[[[1, 0, -1], [1, 0, -1], [1, 0, -1]]]], dtype="float64", requires_grad=True, name="filter"
)
conv_bias = tc.Tensor([0.5], dtype="float64", requires_grad=True, name="conv.bias")
head_weight = tc.Tensor(
    [
        [0.1, -0.2, 0.0, 0.3, 0.1, -0.1, 0.2, 0.0, -0.3],
        [-0.1, 0.2, 0.1, 0.0, -0.2, 0.3, -0.1, 0.1, 0.2],
    ],
    dtype="float64",
    requires_grad=True,
    name="head.weight",
)
head_bias = tc.Tensor([0.0, 0.1], dtype="float64", requires_grad=True, name="head.bias")
target = np.array([1])


def forward(image, filt, conv_bias, head_weight, head_bias):
    feature_map = tc.conv2d(image, filt, conv_bias)  # (1, 1, 3, 3): 'valid' padding
    hidden = tc.relu(feature_map).reshape(1, 9)  # negatives become 0
    logits = hidden @ head_weight.T + head_bias  # (1, 2): one score per class
    return feature_map, logits, tc.cross_entropy(logits, target)


feature_map, logits, loss = forward(image, filt, conv_bias, head_weight, head_bias)
print("feature map (valid):\n", feature_map.data[0, 0])
print(
    "same padding:\n",
    tc.conv2d(image.detach(), filt.detach(), conv_bias.detach(), padding="same").data[0, 0],
)
print(
    "stride 2:\n", tc.conv2d(image.detach(), filt.detach(), conv_bias.detach(), stride=2).data[0, 0]
)
print("logits:", logits.data[0], " loss:", round(loss.item(), 6))

loss.backward()
print("dL/dfilter:\n", filt.grad[0, 0].round(4))
print("dL/dimage:\n", image.grad[0, 0].round(4))

# gradcheck sums fn's output, so hand it the loss alone; it raises AssertionError on a mismatch.
inputs = (image, filt, conv_bias, head_weight, head_bias)
ok = tc.gradcheck(lambda *args: forward(*args)[2], *inputs)
print("gradcheck against finite differences:", "passed" if ok else "failed")

if args.out:
    import os

    os.makedirs(args.out, exist_ok=True)
    picture = tc.draw_graph(loss, show_data=True)
    with open(os.path.join(args.out, "seed_graph.dot"), "w") as f:
        f.write(picture.source)
    print("graph written to", os.path.join(args.out, "seed_graph.dot"))
