"""Regenerate the pictures in docs/: the README's ten-line example's graph (drawn by running those
very lines), a small CNN's graph with its module boxes, a forgotten zero_grad made visible, and a
screenshot of the backward-trace page (needs headless Chromium). Every picture starts from fresh
gradients.

Run: python examples/make_pictures.py [--out docs]
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

import numpy as np

import tinygrad_conv as tc
from tinygrad_conv import nn

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def readme_example(readme: str = os.path.join(ROOT, "README.md")) -> str:
    """The README's first python block: the ten lines under the picture."""
    with open(readme, encoding="utf-8") as f:
        return re.findall(r"```python\n(.*?)```", f.read(), flags=re.S)[0]


def run_readme_example(folder: str, readme: str) -> dict:
    """Run the ten lines in `folder` (they write seed.svg there); return their variables."""
    here = os.getcwd()
    os.chdir(folder)
    try:
        names: dict = {}
        exec(compile(readme_example(readme), "README.md", "exec"), names)  # noqa: S102 - our README
    finally:
        os.chdir(here)
    return names


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(4 * 4 * 4, 10))

    def forward(self, x):
        return self.classifier(self.features(x))


def small_cnn():
    tc.manual_seed(0)
    rng = np.random.default_rng(0)
    x = tc.Tensor(rng.random((2, 1, 8, 8), dtype=np.float32), name="images")
    model = SmallCNN()
    model.zero_grad()
    loss = nn.CrossEntropyLoss()(model(x), np.array([3, 7]))
    loss.name = "loss"
    loss.backward()
    return loss


def forgotten_zero_grad():
    """Two steps' backward without zero_grad in between: w.grad holds both passes."""
    w = tc.Tensor([0.5, -1.0], requires_grad=True, name="w")
    for x in ([1.0, 2.0], [3.0, -1.0]):
        loss = (tc.Tensor(x, name="x") * w).sum()
        loss.name = "loss"
        loss.backward()  # a training loop would call optimizer.zero_grad() first
    return loss


def screenshot(html: str, png: str, step: int) -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        print("no chromium: skipped", png)
        return
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--user-data-dir={profile}",
                "--window-size=1200,820",
                f"--screenshot={os.path.abspath(png)}",
                f"file://{os.path.abspath(html)}#step={step}",
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    print("wrote", png)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out", default=os.path.join(ROOT, "docs"), help="folder for the pictures (default docs)"
    )
    parser.add_argument(
        "--readme",
        default=os.path.join(ROOT, "README.md"),
        help="the README whose ten lines draw docs/seed_graph.svg",
    )
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        names = run_readme_example(tmp, os.path.abspath(args.readme))
        shutil.copy(os.path.join(tmp, "seed.svg"), os.path.join(args.out, "seed_graph.svg"))
        print("wrote", os.path.join(args.out, "seed_graph.svg"))
        html = names["trace"].to_html(os.path.join(tmp, "trace.html"), show_data=True)
        screenshot(html, os.path.join(args.out, "trace.png"), step=3)  # the relu step
    write(tc.draw_graph(small_cnn()), os.path.join(args.out, "cnn_graph.svg"))
    write(tc.draw_graph(forgotten_zero_grad()), os.path.join(args.out, "zero_grad.svg"))


def write(graph, path: str) -> None:
    with open(path, "w", encoding="utf-8") as file:
        file.write(graph.pipe(format="svg", encoding="utf-8"))
    print("wrote", path)


if __name__ == "__main__":
    sys.exit(main())
