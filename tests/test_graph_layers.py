"""The picture of the new layers: a BatchNorm node says train or eval and shows the statistics it
used; a Dropout node shows the fraction its mask kept."""

from __future__ import annotations

import numpy as np

import tinygrad_conv as tc
from tinygrad_conv import nn


def _net():
    tc.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 3, 3),
        nn.BatchNorm2d(3),
        nn.ReLU(),
        nn.Flatten(),
        nn.Dropout(0.5),
        nn.Linear(48, 2),
    )


def test_batch_norm_node_shows_mode_and_the_statistics_used():
    model, x = _net(), tc.randn(4, 1, 6, 6)
    conv_out = model[0](x).data.astype(np.float64)
    y = model(x).sum()
    source = tc.draw_graph(y).source
    assert "train: batch statistics" in source
    mean = conv_out.mean(axis=(0, 2, 3))  # recomputed here, not read from the op
    assert "mean [" + ", ".join(f"{v:.3g}" for v in mean) + "]" in source
    model.eval()
    source = tc.draw_graph(model(x).sum()).source
    assert "eval: running statistics" in source
    running = model[1].running_mean.data
    assert "mean [" + ", ".join(f"{v:.3g}" for v in running) + "]" in source


def test_dropout_node_shows_the_kept_fraction():
    x = tc.randn(4, 48, requires_grad=True)  # no zeros: every zero of the output was dropped
    y = nn.Dropout(0.5)(x)
    kept = float(np.mean(y.data != 0))
    assert f"train: kept {100 * kept:.1f}% (p=0.5)" in tc.draw_graph(y.sum()).source


def test_many_channels_are_summarised():
    x = tc.randn(8, 10)
    y = tc.batch_norm(x, None, None, training=True)
    mean = x.data.astype(np.float64).mean(axis=0)
    assert (
        f"mean {mean.min():.3g} .. {mean.max():.3g} over 10 channels"
        in tc.draw_graph(y.sum()).source
    )
