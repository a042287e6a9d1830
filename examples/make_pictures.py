"""Regenerate the pictures in docs/: the seed example's graph, a small CNN's graph with its module
boxes, and a screenshot of the backward-trace page (needs headless Chromium).

Run: python examples/make_pictures.py [--out docs]
"""

import argparse
import os
import shutil
import subprocess
import tempfile

import numpy as np

import tinygrad_conv as tc
from tinygrad_conv import nn


def seed_example():
    """The seed example: a 5x5 image, a 3x3 filter, ReLU, a linear head, cross-entropy."""
    image = tc.Tensor([[[[1, 2, 0, 1, 3],
                         [0, 1, 3, 2, 1],
                         [2, 0, 1, 0, 2],
                         [1, 3, 2, 1, 0],
                         [0, 1, 0, 2, 1]]]], requires_grad=True, name="image")
    filt = tc.Tensor([[[[1, 0, -1], [1, 0, -1], [1, 0, -1]]]], requires_grad=True, name="filter")
    conv_bias = tc.Tensor([0.5], requires_grad=True, name="conv.bias")
    head_weight = tc.Tensor([[0.1, -0.2, 0.0, 0.3, 0.1, -0.1, 0.2, 0.0, -0.3],
                             [-0.1, 0.2, 0.1, 0.0, -0.2, 0.3, -0.1, 0.1, 0.2]],
                            requires_grad=True, name="head.weight")
    head_bias = tc.Tensor([0.0, 0.1], requires_grad=True, name="head.bias")
    feature_map = tc.conv2d(image, filt, conv_bias)
    hidden = tc.relu(feature_map).reshape(1, 9)
    logits = hidden @ head_weight.T + head_bias
    loss = tc.cross_entropy(logits, np.array([1]))
    loss.name = "loss"
    return loss


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(4 * 4 * 4, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def small_cnn():
    rng = np.random.default_rng(0)
    x = tc.Tensor(rng.random((2, 1, 8, 8), dtype=np.float32), name="images")
    loss = nn.CrossEntropyLoss()(SmallCNN()(x), np.array([3, 7]))
    loss.name = "loss"
    return loss


def screenshot(html: str, png: str, step: int) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("no chromium: skipped", png)
        return
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu",
                        "--hide-scrollbars", f"--user-data-dir={profile}", "--window-size=1400,900",
                        f"--screenshot={os.path.abspath(png)}",
                        f"file://{os.path.abspath(html)}#step={step}"],
                       check=True, capture_output=True, timeout=120)
    print("wrote", png)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs", help="folder for the pictures (default docs)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    loss = seed_example()
    trace = tc.trace_backward(loss)
    write(tc.draw_graph(loss, show_data=True), os.path.join(args.out, "seed_graph.svg"))
    loss = small_cnn()
    loss.backward()
    write(tc.draw_graph(loss), os.path.join(args.out, "cnn_graph.svg"))
    with tempfile.TemporaryDirectory() as tmp:
        html = trace.to_html(os.path.join(tmp, "trace.html"), show_data=True)
        screenshot(html, os.path.join(args.out, "trace.png"), step=5)


def write(graph, path: str) -> None:
    with open(path, "w", encoding="utf-8") as file:
        file.write(graph.pipe(format="svg", encoding="utf-8"))
    print("wrote", path)


if __name__ == "__main__":
    main()
