"""The backward-trace page: the graph's SVG once, and per step which nodes to highlight and the
numbers to show beside it (so the page grows with the steps' numbers, not with steps x picture);
previous/next buttons, a slider and the arrow keys; scripts, styles and the picture inline.

`trace_fragment` is the page's body as one <div> whose styles and script touch only that div (a
notebook shows it inline, twice if asked); `trace_page` wraps it in a document.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
from html import escape

import numpy as np

from . import _grad_passes
from ._format import describe, fmt, format_param, grad_summary, passes_note, tidy
from ._graph_render import INSTALL_HINT, RenderingUnavailable, svg_renderer
from .graph import draw_graph

MAX_PRINTED = 100  # arrays up to this size are printed in full in the side panel
_ids = itertools.count()

CSS = """
#ID { font-family: Helvetica, Arial, sans-serif; color: #222; }
#ID header { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; padding: 6px 0;
  position: sticky; top: 0; background: #fff; z-index: 2; }
#ID h1 { font-size: 20px; margin: 0 12px 0 0; }
#ID button { font-size: 15px; padding: 4px 14px; }
#ID .slider { width: 320px; }
#ID .where { font-weight: bold; min-width: 110px; }
#ID .help { color: #555; font-size: 13px; margin: 0; flex-basis: 100%; }
#ID .warn { color: #8a0070; font-size: 14px; margin: 4px 0; flex-basis: 100%; }
#ID .body { display: flex; gap: 18px; align-items: flex-start; }
#ID .picture { flex: 1 1 auto; min-width: 0; overflow: auto; max-height: 78vh;
  border: 1px solid #ddd; }
#ID .numbers { flex: 0 0 360px; font-size: 14px; }
#ID .numbers h2 { font-size: 18px; margin: 0 0 6px; color: #b00000; }
#ID .numbers h3 { font-size: 14px; margin: 12px 0 2px; }
#ID .numbers pre { background: #f6f6f6; padding: 6px; margin: 2px 0; overflow-x: auto;
  font-size: 12px; }
#ID .key { display: inline-block; width: 12px; height: 12px; border: 3px solid;
  vertical-align: middle; }
#ID g.node.pending { opacity: 0.3; }
#ID g.node.current > title + * { stroke: #d40000; stroke-width: 6px; }
#ID g.node.current-out > title + * { stroke: #1f5fd6; stroke-width: 5px; }
#ID g.node.current-in > title + * { stroke: #e08a00; stroke-width: 5px; }
#ID g.edge.flow path { stroke: #d40000; stroke-width: 3px; }
#ID g.edge.flow polygon { stroke: #d40000; fill: #d40000; }
"""

SCRIPT = r"""
(function () {
const root = document.getElementById('ID'), whole = root.dataset.page === '1';
const steps = JSON.parse(root.querySelector('script.steps').textContent);
const panels = Array.from(root.querySelectorAll('.panel'));
const picture = root.querySelector('.picture');
const touched = new Set();  // what backward reaches; constants never fade
steps.forEach((s) => [s.op, s.out, ...s.ins].forEach((n) => { if (n) touched.add(n); }));
const nodes = {};
root.querySelectorAll('g.node').forEach((g) => { nodes[g.dataset.node] = g; });
const edges = Array.from(root.querySelectorAll('g.edge'));
const prev = root.querySelector('.prev'), next = root.querySelector('.next');
const slider = root.querySelector('.slider'), where = root.querySelector('.where');
let current = 0;
function reveal(g) {  // scroll the picture's box, never the page, to the current node
  const box = picture.getBoundingClientRect(), r = g.getBoundingClientRect();
  if (r.top < box.top || r.bottom > box.bottom) {
    picture.scrollTop += r.top - box.top - box.height / 2;
  }
  if (r.left < box.left || r.right > box.right) {
    picture.scrollLeft += r.left - box.left - box.width / 2;
  }
}
function show(k) {
  current = Math.max(0, Math.min(steps.length - 1, k));
  const role = {};
  for (let i = 0; i < current; i++) {
    for (const n of [steps[i].op, steps[i].out, ...steps[i].ins]) if (n) role[n] = 'done';
  }
  const s = steps[current] || {op: null, out: null, ins: []};
  s.ins.forEach((n) => { role[n] = 'current-in'; });
  if (s.out) role[s.out] = 'current-out';
  if (s.op) role[s.op] = 'current';
  for (const [name, g] of Object.entries(nodes)) {
    g.classList.remove('pending', 'done', 'current', 'current-in', 'current-out');
    const r = role[name] || (touched.has(name) ? 'pending' : '');
    if (r) g.classList.add(r);
  }
  edges.forEach((e) => {
    const a = e.dataset.tail, b = e.dataset.head;
    const flow = s.op && ((a === s.op || b === s.op) &&
      (role[a === s.op ? b : a] === 'current-in' || role[a === s.op ? b : a] === 'current-out'));
    e.classList.toggle('flow', Boolean(flow));
  });
  panels.forEach((p, i) => { p.hidden = i !== current; });
  slider.value = current;
  where.textContent = 'step ' + (current + 1) + ' of ' + steps.length;
  prev.disabled = current === 0;
  next.disabled = current === steps.length - 1;
  if (s.op && nodes[s.op]) reveal(nodes[s.op]);
}
function highlighted() {
  const g = root.querySelector('g.node.current');
  return g ? g.dataset.node : '';
}
prev.addEventListener('click', () => show(current - 1));
next.addEventListener('click', () => show(current + 1));
slider.addEventListener('input', () => show(Number(slider.value)));
(whole ? document : root).addEventListener('keydown', (e) => {
  if (e.key === 'ArrowLeft') { show(current - 1); e.preventDefault(); }
  if (e.key === 'ArrowRight') { show(current + 1); e.preventDefault(); }
});
const start = whole ? /^#step=(\d+)$/.exec(location.hash) : null;  // page.html#step=3
show(start ? Number(start[1]) - 1 : 0);
if (whole && location.hash === '#autotest') {  // a headless browser tests the page, no driver
  const text = root.querySelector('.picture svg text');
  const state = {before: highlighted(), scroll_at_load: window.scrollY,
    text_px: text ? text.getBoundingClientRect().height : 0,
    svgs: root.querySelectorAll('svg').length};
  next.click(); state.after_next = highlighted(); state.step_after_next = current + 1;
  state.flow_edges = root.querySelectorAll('g.edge.flow').length;
  document.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowRight'}));
  state.after_arrow_right = highlighted();
  document.dispatchEvent(new KeyboardEvent('keydown', {key: 'ArrowLeft'}));
  state.after_arrow_left = highlighted();
  slider.value = steps.length - 1; slider.dispatchEvent(new Event('input'));
  state.after_slider_end = highlighted(); state.steps = steps.length;
  state.scroll_at_end = window.scrollY;
  show(0);
  const out = document.createElement('pre');
  out.id = 'autotest'; out.textContent = JSON.stringify(state);
  document.body.appendChild(out);
}
})();
"""

NODE = re.compile(r'<g id="([A-Za-z_][\w]*)" class="node">')
EDGE = re.compile(r'<g id="(edge\d+)" class="edge">(\s*<title>)([^<]*)(</title>)')


def trace_page(
    trace, show_data: bool = False, rankdir: str = "TB", max_nodes: int | None = None
) -> str:
    body = trace_fragment(trace, show_data, rankdir, max_nodes, page=True)
    title = f"Backward pass, step by step: {len(trace.steps)} steps"
    return (
        f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title>\n<style>body {{ margin: 16px; }}</style></head>\n"
        f"<body>\n{body}\n</body></html>\n"
    )


def trace_fragment(
    trace,
    show_data: bool = False,
    rankdir: str = "TB",
    max_nodes: int | None = None,
    page: bool = False,
) -> str:
    if svg_renderer() is None:
        raise RenderingUnavailable(f"BackwardTrace.to_html needs an SVG renderer: {INSTALL_HINT}")
    graph = draw_graph(
        trace.root, show_data=show_data, show_grad=True, rankdir=rankdir, max_nodes=max_nodes
    )
    uid = f"tgc-trace-{next(_ids)}"
    svg = _mark_svg(clean_svg(graph.pipe(format="svg", encoding="utf-8")), uid)
    steps, panels = [], []
    for k, step in enumerate(trace.steps):
        ins = [
            graph.node_ids.get(id(p))
            for p, g in zip(step.parents, step.parent_grads, strict=True)
            if g is not None
        ]
        steps.append(
            {
                "op": graph.op_ids.get(id(step.output)),
                "out": graph.node_ids.get(id(step.output)),
                "ins": [n for n in ins if n],
            }
        )
        drawn = steps[-1]["op"] is not None
        panels.append(_panel(k, len(trace.steps), step, drawn, max_nodes))
    title = f"Backward pass, step by step: {len(trace.steps)} steps"
    stale = [f"the grad of {describe(t)} is {passes_note(n)}" for t, n in trace.accumulated()]
    warn = "".join(f'<p class="warn">{escape(s)}</p>' for s in stale)
    data = json.dumps(steps).replace("</", "<\\/")
    return f"""<div class="tgc-trace" id="{uid}" data-page="{int(page)}" tabindex="0">
<style>{CSS.replace("#ID", "#" + uid)}</style>
<header><h1>{escape(title)}</h1>
<button class="prev" type="button">&#9664; previous</button>
<input class="slider" type="range" min="0" max="{max(len(steps) - 1, 0)}" value="0" step="1"
 aria-label="step">
<button class="next" type="button">next &#9654;</button>
<span class="where"></span>
<p class="help">Gradients flow from the output back to the inputs, one operation per step
(arrow keys work too). <span class="key" style="border-color:#d40000"></span> the operation now
running its backward, <span class="key" style="border-color:#1f5fd6"></span> its output, whose
gradient has arrived, <span class="key" style="border-color:#e08a00"></span> its inputs, which
receive gradients now. Faded nodes are not reached yet; grads shown in the picture are the final
ones.</p>{warn}</header>
<div class="body"><div class="picture">{svg}</div>
<div class="numbers">{"".join(panels)}</div></div>
<script type="application/json" class="steps">{data}</script>
<script>{SCRIPT.replace("'ID'", repr(uid))}</script>
</div>"""


def clean_svg(svg: str) -> str:
    """The <svg> element alone, without XML prolog, comments or namespace URLs (HTML needs none)."""
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    return re.sub(r'\s+xmlns(:\w+)?="[^"]*"', "", svg)


def _mark_svg(svg: str, uid: str) -> str:
    """Ids made unique to this fragment; each node says its name, each edge its two ends."""

    def node(match: re.Match) -> str:
        return f'<g id="{uid}-{match.group(1)}" class="node" data-node="{match.group(1)}">'

    def edge(match: re.Match) -> str:
        tail, _, head = match.group(3).replace("&#45;&gt;", "->").partition("->")
        return (
            f'<g id="{uid}-{match.group(1)}" class="edge" data-tail="{escape(tail)}" '
            f'data-head="{escape(head)}">{match.group(2)}{match.group(3)}{match.group(4)}'
        )

    svg = EDGE.sub(edge, NODE.sub(node, svg))
    return re.sub(r'<g id="(graph\d+|clust\d+)"', rf'<g id="{uid}-\1"', svg)


def _panel(k: int, n: int, step, drawn: bool, max_nodes) -> str:
    params = {k: v for k, v in step.output._ctx.params.items() if not dataclasses.is_dataclass(v)}
    lines = [
        f'<section class="panel" data-step="{k}"{" hidden" if k else ""}>',
        f"<h2>step {k + 1} of {n}: {escape(step.op)}</h2>",
    ]
    if not drawn:
        lines.append(f"<div>(this op is not in the picture: max_nodes={max_nodes})</div>")
    if params:
        text = ", ".join(f"{key}={format_param(v)}" for key, v in params.items())
        lines.append(f"<div>{escape(text)}</div>")
    lines.append(f"<h3>gradient arriving at its output {escape(describe(step.output))}</h3>")
    lines.append(f"<pre>{escape(_values(step.grad_in))}</pre>")
    for i, (parent, grad) in enumerate(zip(step.parents, step.parent_grads, strict=True)):
        lines.append(f"<h3>input {i + 1}, {escape(describe(parent))}, receives</h3>")
        lines.append(
            "<pre>no gradient (does not require grad)</pre>"
            if grad is None
            else f"<pre>{escape(_values(grad))}</pre>"
        )
        passes = _grad_passes.passes(parent)
        if grad is not None and passes > 1:
            lines.append(f'<div class="warn">its .grad is {escape(passes_note(passes))}</div>')
    lines.append("</section>")
    return "\n".join(lines)


def _values(array: np.ndarray) -> str:
    array = np.asarray(array)
    if array.size <= MAX_PRINTED:
        return np.array2string(tidy(array), max_line_width=48, formatter={"float_kind": fmt})
    return f"{grad_summary(array)}\nfirst values: {' '.join(fmt(v) for v in array.ravel()[:8])}"
