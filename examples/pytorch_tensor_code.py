"""PyTorch tensor code that runs here with only its import changed: replace the next line with
`import torch` and it prints the same numbers (tests/test_surface_example.py runs both)."""

import tinygrad_conv as torch
import tinygrad_conv.nn.functional as F


def show(name, t):
    """Values rounded to 4 decimals: the two libraries' reprs differ, their numbers do not."""
    value = t.tolist() if hasattr(t, "tolist") else t
    print(name, _rounded(value))


def _rounded(value):
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return round(value, 4) if isinstance(value, float) else value


x = (torch.arange(12).float().view(3, 4) / 4 - 1).requires_grad_()
w = torch.tensor([[0.5, -1.0, 2.0, 0.25]], requires_grad=True)
y = (x * w).clamp(min=-1.5, max=1.5)
z = torch.cat([y, (y.abs() + 0.01).sqrt()], dim=0)
values, indices = z.max(dim=1)
s = torch.stack([values, z.min(1)[0]], dim=1)
h = F.leaky_relu(x, 0.1) + F.gelu(x) - F.gelu(x, approximate="tanh") * 0.5
m = torch.where(x > 0, h, torch.zeros_like(h)).permute(1, 0).unsqueeze(0)
p = F.pad(m, (1, 0, 0, 2), value=0.5).squeeze(0)
q = torch.maximum(p[:3], p[5:].expand(3, 4)) @ p[3:].transpose(0, 1)
stats = torch.stack([x.var(dim=0), x.std(0, unbiased=False), x.logsumexp(dim=0)])
loss = (
    s.sum()
    + q.mean()
    + stats.sum()
    + F.softmax(z, dim=1)[:, 0].sum()
    + torch.minimum(x, w).sum(dim=1, keepdim=True).exp().mean()
)
loss.backward()

show("indices", indices)
show("argmax", z.argmax(dim=1))
show("mask", (x >= 0).tolist())
show("count", (x > 0).sum().item())
show("eq", x.eq(x.clamp(max=0.0)).long().tolist())
show("s", s)
show("p", p)
show("stats", stats)
show("loss", loss.item())
show("x.grad", x.grad)
show("w.grad", w.grad)
show("shapes", [list(t.shape) for t in (z, s, m, p, q)] + [x.size(1), x.numel(), x.dim()])
show("long", (x * 3).long().view(-1).tolist())
