"""`tinygrad-conv explain`: the seed example (a 5x5 image, a 3x3 filter, ReLU, a two-class linear
head, cross-entropy) worked through forward and backward, every number printed and said in words,
and every gradient checked against finite differences."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import functional as F
from .tensor import Tensor

IMAGE = np.array(
    [[1, 2, 0, 1, 3], [0, 1, 3, 2, 1], [2, 0, 1, 0, 2], [1, 3, 2, 1, 0], [0, 1, 0, 2, 1]],
    dtype=np.float64,
)
FILTER = np.array(
    [[1, 0, -1], [1, 0, -1], [1, 0, -1]], dtype=np.float64
)  # bright on the left, dark on the right
CONV_BIAS = 0.5  # keeps every conv output off ReLU's kink at 0, where finite differences mislead
HEAD_WEIGHT = np.array(
    [
        [0.1, -0.2, 0.0, 0.3, 0.1, -0.1, 0.2, 0.0, -0.3],
        [-0.1, 0.2, 0.1, 0.0, -0.2, 0.3, -0.1, 0.1, 0.2],
    ]
)
HEAD_BIAS = np.array([0.0, 0.1])
TARGET = 1


def seed_example() -> dict[str, Tensor]:
    """The example as Tensors (float64), forward done: image -> conv2d -> relu -> linear -> loss."""
    t = {
        "image": Tensor(IMAGE.reshape(1, 1, 5, 5), requires_grad=True, name="image"),
        "filter": Tensor(FILTER.reshape(1, 1, 3, 3), requires_grad=True, name="filter"),
        "conv_bias": Tensor(np.array([CONV_BIAS]), requires_grad=True, name="conv.bias"),
        "head_weight": Tensor(HEAD_WEIGHT, requires_grad=True, name="head.weight"),
        "head_bias": Tensor(HEAD_BIAS, requires_grad=True, name="head.bias"),
    }
    t["conv"] = F.conv2d(t["image"], t["filter"], t["conv_bias"])
    t["relu"] = F.relu(t["conv"])
    t["hidden"] = t["relu"].reshape(1, 9)
    t["logits"] = t["hidden"] @ t["head_weight"].T + t["head_bias"]
    t["loss"] = F.cross_entropy(t["logits"], np.array([TARGET]))
    return t


def grid(array: np.ndarray, indent: str = "    ") -> str:
    array = np.asarray(array, dtype=np.float64)
    if array.ndim == 1:
        array = array[None]
    return "\n".join(indent + " ".join(f"{v:8.4f}" for v in row) for row in array)


def products(window: np.ndarray, kernel: np.ndarray) -> str:
    pairs = zip(window.ravel(), kernel.ravel(), strict=True)
    terms = [f"{a:g}*({b:g})" if b < 0 else f"{a:g}*{b:g}" for a, b in pairs]
    total = float((window * kernel).sum())
    return " + ".join(terms) + f" = {total:g}; plus the bias {CONV_BIAS:g}: {total + CONV_BIAS:g}"


def finite_difference(f: Callable[[], float], array: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """d f / d array[i] ~ (f(array[i] + eps) - f(array[i] - eps)) / (2 eps), one element at a
    time."""
    grad = np.zeros_like(array)
    for i in np.ndindex(array.shape):
        keep = array[i]
        array[i] = keep + eps
        up = f()
        array[i] = keep - eps
        down = f()
        array[i] = keep
        grad[i] = (up - down) / (2 * eps)
    return grad


def explain(say: Callable[[str], None] = print) -> dict[str, Tensor]:
    """Print the walkthrough; return the example's tensors after backward."""
    say(
        "THE SEED EXAMPLE: a 5x5 grey image, one 3x3 filter, ReLU, a 2-class linear head, "
        "cross-entropy.\n"
    )
    say("image (5x5), brightness of each pixel:")
    say(grid(IMAGE))
    say("filter (3x3): +1 on the left column, -1 on the right: it measures 'left minus right'.")
    say(grid(FILTER))
    say(f"conv bias: {CONV_BIAS:g}, added to every output cell.")

    say("\n1. FORWARD: cross-correlation (what conv2d computes; no flipping of the filter)")
    say(
        "Slide the filter over the image; at each position multiply the nine overlapping pairs, "
        "add them"
    )
    say("up, and add the bias.")
    say("Output cell (i, j) covers image rows i..i+2 and columns j..j+2.")
    say(
        "\nvalid padding: the filter stays inside the image, so the output is (5-3+1) x (5-3+1) = "
        "3x3:"
    )
    t = seed_example()
    conv = t["conv"].data[0, 0]
    say("valid cross-correlation (3x3):")
    say(grid(conv))
    say("cell (0, 0) as its nine products summed (image value * filter value):")
    say("    " + products(IMAGE[0:3, 0:3], FILTER))
    say("cell (1, 2) likewise:")
    say("    " + products(IMAGE[1:4, 2:5], FILTER))

    same = F.conv2d(
        t["image"].detach(), t["filter"].detach(), t["conv_bias"].detach(), padding="same"
    ).data[0, 0]
    say("\nsame padding: a border of zeros, one pixel wide, keeps the output 5x5:")
    say("same cross-correlation (5x5):")
    say(grid(same))
    padded = np.pad(IMAGE, 1)
    say("corner cell (0, 0): the window hangs over the border, where the zeros are:")
    say("    " + products(padded[0:3, 0:3], FILTER))

    strided = F.conv2d(
        t["image"].detach(), t["filter"].detach(), t["conv_bias"].detach(), stride=2
    ).data[0, 0]
    say(
        "\nstride 2: the filter jumps two pixels at a time, so only windows at rows/columns 0 and "
        "2 remain:"
    )
    say("stride-2 cross-correlation (2x2):")
    say(grid(strided))
    say("these are cells (0, 0), (0, 2), (2, 0), (2, 2) of the valid output.")

    say("\n2. ReLU keeps positive values and turns negative ones into 0: relu(v) = max(v, 0).")
    say("We go on with the valid output. relu (3x3):")
    say(grid(t["relu"].data[0, 0]))
    dead = int((conv <= 0).sum())
    say(f"{dead} of the 9 cells were <= 0 and are now 0; no gradient will flow back through them.")

    say(
        "\n3. LINEAR HEAD: flatten the 3x3 to 9 numbers h, then logit_k = sum_i W[k, i] * h[i] + "
        "b[k]."
    )
    say("head weight W (2x9):")
    say(grid(HEAD_WEIGHT))
    say("head bias b:")
    say(grid(HEAD_BIAS))
    logits = t["logits"].data[0]
    say("logits (one score per class):")
    say(grid(logits))

    say(
        f"\n4. CROSS-ENTROPY with the true class {TARGET}: softmax turns the scores into "
        "probabilities"
    )
    say(
        "p_k = exp(logit_k) / sum_j exp(logit_j), and the loss is -log p_target: small when the "
        "model"
    )
    say("puts its probability on the right class.")
    probs = np.exp(logits - logits.max()) / np.exp(logits - logits.max()).sum()
    say("probabilities:")
    say(grid(probs))
    loss = t["loss"].item()
    say(f"loss = -log({probs[TARGET]:.4f}) = {loss:.6f}")

    t["loss"].backward()
    say("\n5. BACKWARD: the chain rule, from the loss back to every input.")
    say("dL/dlogits = p - onehot(target): push the true class's score up, the other one down.")
    say("dL/dlogits:")
    say(grid(t["logits"].grad[0]))
    say(
        "dL/dW[k, i] = dL/dlogit_k * h[i] (each weight's blame is its input times the error); "
        "dL/db = dL/dlogits."
    )
    say("dL/dW (2x9):")
    say(grid(t["head_weight"].grad))
    say("dL/dh[i] = sum_k W[k, i] * dL/dlogit_k, then ReLU passes it only where its input was > 0.")
    say("dL/dconv (3x3), the gradient at the filter's output:")
    say(grid(t["conv"].grad[0, 0]))
    say("dL/dfilter[a, b] = sum over output cells (i, j) of dL/dconv[i, j] * image[i+a, j+b]:")
    say("every output cell that used this filter weight adds (its gradient) x (the pixel it saw).")
    say("dL/dfilter (3x3):")
    say(grid(t["filter"].grad[0, 0]))
    say(
        "dL/dimage[r, c] = sum over the windows covering pixel (r, c) of dL/dconv[i, j] * "
        "filter[r-i, c-j]:"
    )
    say(
        "each pixel collects the gradient of every output it fed, weighted by the filter tap that "
        "met it."
    )
    say("dL/dimage (5x5):")
    say(grid(t["image"].grad[0, 0]))
    say(
        f"dL/dconv_bias = the sum of dL/dconv = {t['conv_bias'].grad[0]:.4f} (the bias is added to "
        "every cell)."
    )

    say(
        "\n6. CHECK: nudge each number by +-1e-6, rerun the forward pass, and compare the change "
        "in the loss"
    )
    say("with the gradient above (central finite differences).")
    keys = ("image", "filter", "conv_bias", "head_weight", "head_bias")

    def loss_now() -> float:
        return seed_example_loss(*(t[key].data for key in keys))

    for key in ("filter", "conv_bias", "image", "head_weight", "head_bias"):
        numeric = finite_difference(loss_now, t[key].data)
        worst = float(np.abs(numeric - t[key].grad).max())
        verdict = "agrees" if worst < 1e-6 else "DISAGREES"
        say(f"d loss / d {key}: largest difference from finite differences {worst:.1e} ({verdict})")
    return t


def seed_example_loss(
    image: np.ndarray, filt: np.ndarray, conv_bias: np.ndarray, weight: np.ndarray, bias: np.ndarray
) -> float:
    """The forward pass alone, on arrays, for the finite-difference check."""
    out = F.conv2d(Tensor(image), Tensor(filt), Tensor(conv_bias))
    logits = F.relu(out).reshape(1, 9) @ Tensor(weight).T + Tensor(bias)
    return F.cross_entropy(logits, np.array([TARGET])).item()
