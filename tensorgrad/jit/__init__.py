"""``tg.compile``: record a training step once and replay it as array code.

``recorder.py`` records the array computations a step makes (the hooks in the autograd core,
the engine, in-place ops and dropout call it), ``replay.py`` turns a recording into one
straight-line Python function, ``fuse.py`` fuses its elementwise runs into numba kernels,
``buffers.py`` plans the memory its results are written into, ``compiled.py`` holds the
user-facing ``compile`` with its guards, ``graphed.py`` compiles a module's forward and
backward. See docs/compile.md.
"""

__all__ = ["CompiledFunction", "compile"]


def __getattr__(name: str):
    # loaded on first use: the autograd core imports recorder.py while tensorgrad loads
    if name in __all__:
        from . import compiled

        return getattr(compiled, name)
    raise AttributeError(f"module 'tensorgrad.jit' has no attribute {name!r}")
