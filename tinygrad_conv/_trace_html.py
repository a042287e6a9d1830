"""The backward-trace page: one SVG frame per step (the current op highlighted, its numbers
beside it), previous/next buttons, a slider and the arrow keys; scripts, styles, pictures inline."""

from __future__ import annotations

import dataclasses
import re
from html import escape

import numpy as np

from ._graph_labels import fmt, format_param, grad_summary, tidy
from ._graph_render import INSTALL_HINT, RenderingUnavailable, svg_renderer
from .graph import draw_graph
from .trace import describe

MAX_PRINTED = 100  # arrays up to this size are printed in full in the side panel

CSS = """
body { font-family: Helvetica, Arial, sans-serif; margin: 16px; color: #222; }
header { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; padding: 6px 0; }
h1 { font-size: 20px; margin: 0 12px 0 0; }
button { font-size: 15px; padding: 4px 14px; }
#slider { width: 320px; }
#where { font-weight: bold; min-width: 110px; }
.help { color: #555; font-size: 13px; margin: 0; flex-basis: 100%; }
.frame { display: flex; gap: 18px; align-items: flex-start; }
.frame[hidden] { display: none; }
.picture { flex: 1 1 auto; min-width: 0; }
.picture svg { max-width: 100%; height: auto; }
.numbers { flex: 0 0 360px; font-size: 14px; position: sticky; top: 8px; }
.numbers h2 { font-size: 18px; margin: 0 0 6px; color: #b00000; }
.numbers h3 { font-size: 14px; margin: 12px 0 2px; }
.numbers pre { background: #f6f6f6; padding: 6px; margin: 2px 0; overflow-x: auto;
  font-size: 12px; }
.key { display: inline-block; width: 12px; height: 12px; border: 3px solid;
  vertical-align: middle; }
g.node.pending { opacity: 0.3; }
g.node.current > title + * { stroke: #d40000; stroke-width: 6px; }
g.node.current-out > title + * { stroke: #1f5fd6; stroke-width: 5px; }
g.node.current-in > title + * { stroke: #e08a00; stroke-width: 5px; }
g.edge.flow path { stroke: #d40000; stroke-width: 3px; }
g.edge.flow polygon { stroke: #d40000; fill: #d40000; }
"""

SCRIPT = r"""
const frames = Array.from(document.querySelectorAll('.frame'));
const prev = document.getElementById('prev'), next = document.getElementById('next');
const slider = document.getElementById('slider'), where = document.getElementById('where');
let current = 0;
function show(k) {
  current = Math.max(0, Math.min(frames.length - 1, k));
  frames.forEach((f, i) => { f.hidden = i !== current; });
  slider.value = current;
  where.textContent = 'step ' + (current + 1) + ' of ' + frames.length;
  prev.disabled = current === 0;
  next.disabled = current === frames.length - 1;
  const node = frames[current].querySelector('g.node.current');
  if (node) node.scrollIntoView({block: 'nearest', inline: 'nearest'});
}
function highlighted() {
  const node = document.querySelector('.frame:not([hidden]) g.node.current');
  return node ? node.dataset.node : '';
}
prev.addEventListener('click', () => show(current - 1));
next.addEventListener('click', () => show(current + 1));
slider.addEventListener('input', () => show(Number(slider.value)));
document.addEventListener('keydown', (e) => {
  if (e.key === 'ArrowLeft') show(current - 1);
  if (e.key === 'ArrowRight') show(current + 1);
});
const start = /^#step=(\d+)$/.exec(location.hash);  // page.html#step=3 opens at step 3
show(start ? Number(start[1]) - 1 : 0);
if (location.hash === '#autotest') {  // lets a headless browser test the page without a driver
  const state = {before: highlighted()};
  next.click(); state.after_next = highlighted(); state.step_after_next = current + 1;
  document.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight'}));
  state.after_arrow_right = highlighted();
  document.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowLeft'}));
  state.after_arrow_left = highlighted();
  slider.value = frames.length - 1; slider.dispatchEvent(new Event('input'));
  state.after_slider_end = highlighted(); state.steps = frames.length;
  show(0);
  const out = document.createElement('pre');
  out.id = 'autotest'; out.textContent = JSON.stringify(state);
  document.body.appendChild(out);
}
"""

NODE = re.compile(r'<g id="([A-Za-z_][\w]*)" class="node">')
EDGE = re.compile(r'<g id="(edge\d+)" class="edge">\s*<title>([^<]*)</title>')


def trace_page(trace, show_data: bool = False, rankdir: str = "TB") -> str:
    if svg_renderer() is None:
        raise RenderingUnavailable(f"BackwardTrace.to_html needs an SVG renderer: {INSTALL_HINT}")
    graph = draw_graph(trace.root, show_data=show_data, show_grad=True, rankdir=rankdir)
    svg = clean_svg(graph.pipe(format="svg", encoding="utf-8"))
    frames, done = [], set()
    for k, step in enumerate(trace.steps):
        op = graph.op_ids[id(step.output)]
        out = graph.node_ids[id(step.output)]
        pairs = zip(step.parents, step.parent_grads, strict=True)
        inputs = {graph.node_ids[id(p)] for p, g in pairs if g is not None}
        roles = {**{name: "done" for name in done}, **{name: "current-in" for name in inputs},
                 out: "current-out", op: "current"}
        frames.append(_frame(k, svg, roles, op, _panel(k, len(trace.steps), step)))
        done |= {op, out} | inputs
    title = f"Backward pass, step by step: {len(trace.steps)} steps"
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>
<style>{CSS}</style></head>
<body>
<header><h1>{escape(title)}</h1>
<button id="prev" type="button">&#9664; previous</button>
<input id="slider" type="range" min="0" max="{max(len(frames) - 1, 0)}" value="0" step="1">
<button id="next" type="button">next &#9654;</button>
<span id="where"></span>
<p class="help">Gradients flow from the output back to the inputs, one operation per step
(arrow keys work too). <span class="key" style="border-color:#d40000"></span> the operation now
running its backward, <span class="key" style="border-color:#1f5fd6"></span> its output, whose
gradient has arrived, <span class="key" style="border-color:#e08a00"></span> its inputs, which
receive gradients now. Faded nodes are not reached yet; grads shown in the picture are the final
ones.</p></header>
{"".join(frames)}
<script>{SCRIPT}</script>
</body></html>
"""


def clean_svg(svg: str) -> str:
    """The <svg> element alone, without XML prolog, comments or namespace URLs (HTML needs none)."""
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    return re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)


def _frame(k: int, svg: str, roles: dict[str, str], op: str, panel: str) -> str:
    def node(match: re.Match) -> str:
        name = match.group(1)
        role = roles.get(name, "pending" if re.fullmatch(r"[to]\d+", name) else "")
        return f'<g id="f{k}-{name}" class="node {role}" data-node="{name}">'

    def edge(match: re.Match) -> str:
        tail, _, head = match.group(2).replace("&#45;&gt;", "->").partition("->")
        flow = (head == op and roles.get(tail) == "current-in") or \
            (tail == op and roles.get(head) == "current-out")
        return match.group(0).replace('class="edge"', f'class="edge{" flow" if flow else ""}"')

    frame_svg = EDGE.sub(edge, NODE.sub(node, svg))
    frame_svg = re.sub(r'<g id="(edge\d+|graph\d+|clust\d+)"', rf'<g id="f{k}-\1"', frame_svg)
    return (f'<section class="frame" data-step="{k}" data-op="{op}" hidden>'
            f'<div class="picture">{frame_svg}</div><div class="numbers">{panel}</div></section>\n')


def _panel(k: int, n: int, step) -> str:
    params = {k: v for k, v in step.output._ctx.params.items() if not dataclasses.is_dataclass(v)}
    lines = [f"<h2>step {k + 1} of {n}: {escape(step.op)}</h2>"]
    if params:
        text = ", ".join(f"{key}={format_param(v)}" for key, v in params.items())
        lines.append(f"<div>{escape(text)}</div>")
    lines.append(f"<h3>gradient arriving at its output {escape(describe(step.output))}</h3>")
    lines.append(f"<pre>{escape(_values(step.grad_in))}</pre>")
    for i, (parent, grad) in enumerate(zip(step.parents, step.parent_grads, strict=True)):
        lines.append(f"<h3>input {i + 1}, {escape(describe(parent))}, receives</h3>")
        lines.append("<pre>no gradient (does not require grad)</pre>" if grad is None
                     else f"<pre>{escape(_values(grad))}</pre>")
    return "\n".join(lines)


def _values(array: np.ndarray) -> str:
    array = np.asarray(array)
    if array.size <= MAX_PRINTED:
        return np.array2string(tidy(array), max_line_width=48, formatter={"float_kind": fmt})
    return f"{grad_summary(array)}\nfirst values: {np.round(array.ravel()[:8], 4).tolist()}"

