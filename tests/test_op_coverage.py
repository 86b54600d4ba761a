"""Every differentiable op is in an op table (tests/op_harness.py), or this test fails.

Two checks: every ``Op`` primitive appears in the graph of some table entry, and every public
Tensor method, operator and ``nn.functional`` function is either covered by a table entry or
listed below as not differentiable (with the reason in its group's name).
"""

from __future__ import annotations

import importlib
import pathlib

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.autograd.function import Op

pytest.importorskip("torch")

TESTS = pathlib.Path(__file__).parent

# Public names that are not differentiable ops, by reason.
NO_GRADIENT_OUTPUT = {  # integer/bool results, or results that don't depend on values smoothly
    "argmax argmin all any eq ne lt le gt ge isnan isinf isfinite logical_not logical_and "
    "logical_or equal allclose isclose nonzero count_nonzero floor_divide __floordiv__ "
    "__rfloordiv__ "
    "__eq__ __ne__ __lt__ __le__ __gt__ __ge__ __and__ __rand__ __or__ __ror__ __xor__ __rxor__ "
    "__invert__",
    "argsort bincount unique unique_consecutive",  # ops/sorting.py: indices, counts, sets
    "histc",  # ops/sorting.py: bin counts (PyTorch has no gradient either)
    # tests/ops/test_indexing.py, test_sorting.py, test_movement.py: indices, bin counts, and
    # the layout queries stride, ndimension, get_device
    "argwhere histogram stride ndimension get_device",
    # tests/ops/test_elementwise.py::test_results_equal_torch: bool and integer results, bit
    # operations, and nextafter and heaviside (PyTorch has no gradient for them)
    "signbit isposinf isneginf isreal logical_xor greater greater_equal less less_equal "
    "not_equal gcd lcm heaviside nextafter bitwise_and bitwise_or bitwise_xor bitwise_not "
    "bitwise_left_shift bitwise_right_shift __lshift__ __rlshift__ __rshift__ __rrshift__",
}
NOT_OPS = {  # attributes, conversions, autograd plumbing, creation, in-place writes
    "backward detach detach_ requires_grad_ retain_grad register_hook "
    "register_post_accumulate_grad_hook numpy item tolist size dim "
    "numel nelement element_size is_floating_point is_contiguous is_leaf to float double half "
    "long int bool cpu cuda type_as new_tensor new_zeros new_ones new_full new_empty zeros ones "
    "full empty rand randn randint randperm arange linspace eye zeros_like ones_like full_like "
    "empty_like rand_like randn_like tensor from_numpy from_dlpack add_ sub_ mul_ div_ pow_ "
    "byte char short bfloat16 data_ptr storage_offset pin_memory share_memory_ is_conj is_neg "
    "clamp_ clip_ zero_ fill_ copy_ masked_fill_ uniform_ normal_ sum_to "
    # random draws (tests/test_random.py): no gradient, as PyTorch's is zero
    "bernoulli bernoulli_ multinomial exponential_ geometric_ log_normal_ cauchy_ random_ "
    "randint_like "
    # in-place forms of ops without gradient: tests/ops/test_inplace.py (integer tensors)
    "gcd_ lcm_ heaviside_ nextafter_ floor_divide_ bitwise_and_ bitwise_or_ bitwise_xor_ "
    "bitwise_not_ bitwise_left_shift_ bitwise_right_shift_ logical_and_ logical_or_ "
    "logical_not_ logical_xor_ __iand__ __ior__ __ixor__ __ilshift__ __irshift__ "
    "__ifloordiv__ __imod__ __ipow__"
}
# PyTorch's queries of a tensor's kind, device and layout (tests/test_tensor.py)
QUERIES = {
    "is_cpu is_xpu is_mps is_meta is_ipu is_xla is_maia is_mtia is_vulkan is_sparse "
    "is_sparse_csr is_quantized is_mkldnn is_nested type is_complex is_signed is_nonzero "
    "is_same_size is_inference is_pinned is_shared data"
}
EXCLUDED = set(" ".join(NO_GRADIENT_OUTPUT | NOT_OPS | QUERIES).split())
# Functions an op table can't hold, with the tests that cover them instead.
FUNCTIONAL_ELSEWHERE = {
    "one_hot": "integer output: tests/nn/test_functional.py::test_one_hot*",
    "dropout": "random: tests/nn/test_functional.py::test_dropout*",
    "gumbel_softmax": "random: tests/nn/test_activation.py::test_gumbel_softmax* (statistics, "
    "straight-through gradient)",
    **dict.fromkeys(
        "dropout1d dropout2d dropout3d alpha_dropout feature_alpha_dropout".split(),
        "random: tests/nn/test_dropout.py (statistics, whole channels, gradient = mask * scale)",
    ),
}
# Primitives no CPU table can reach, with the test that covers them instead.
PRIMITIVES_ELSEWHERE = {
    "ToDevice": "needs a GPU: tests/test_cuda.py",
    "DelayedError": "raises on double backward: tests/ops/test_indexing.py::"
    "test_scatter_reduce_prod_double_backward_with_two_zeros_in_a_slot_raises_like_torch",
    "DropoutMask": "a random mask: tests/nn/test_dropout.py, tests/kernels/test_dropout.py",
    "NoDerivative": "raises on backward: tests/test_special.py::"
    "test_gradients_pytorch_does_not_have_raise_its_error_only_when_asked_for",
    **dict.fromkeys(
        "GammaReparam StandardGammaGrad DirichletReparam DirichletGrad".split(),
        "random draws' implicit gradients: tests/distributions/test_incomplete.py (against "
        "mpmath and torch._standard_gamma_grad/_dirichlet_grad), test_gamma.py, test_dirichlet.py",
    ),
}


def _tables() -> list:
    specs = []
    for path in sorted(TESTS.rglob("test_*.py")):
        name = ".".join(path.relative_to(TESTS.parent).with_suffix("").parts)
        if name == __name__ or "test_op_coverage" in name:
            continue
        text = path.read_text()
        if "make_tests(OPS)" not in text:
            continue
        specs.extend(importlib.import_module(name).OPS)
    return specs


def _public_methods() -> set:
    names = set()
    for name in dir(tg.Tensor):
        attr = getattr(tg.Tensor, name)
        if name.startswith("_") and not (name.startswith("__") and name.endswith("__")):
            continue
        if isinstance(attr, property) or not callable(attr):
            continue
        names.add(name)
    dunders = {
        n for n in names if n.startswith("__") and n not in vars(object) and n in vars(tg.Tensor)
    }
    operators = {
        n
        for n in dunders
        if n
        not in {
            "__init__",
            "__repr__",
            "__array__",
            "__dlpack__",
            "__dlpack_device__",
            "__len__",
            "__iter__",
            "__bool__",
            "__float__",
            "__int__",
            "__index__",
            "__reduce__",
            "__setitem__",
            "__getitem__",
            "__hash__",
            "__iadd__",
            "__isub__",
            "__imul__",
            "__itruediv__",
            "__pos__",
        }
    }
    return {n for n in names if not n.startswith("__")} | operators


def test_every_public_differentiable_name_is_in_a_table():
    covered = set()
    for spec in _tables():
        covered.add(spec.name)
        covered.update(spec.covers)
    missing = sorted(_public_methods() - covered - EXCLUDED)
    functional = set(tg.nn.functional.__all__) - FUNCTIONAL_ELSEWHERE.keys()
    missing += sorted(
        f"nn.functional.{n}" for n in functional if f"nn.functional.{n}" not in covered
    )
    assert not missing, f"differentiable ops missing from every op table: {missing}"


def _primitives() -> set:
    """Every Op subclass but tg.compile's bfloat16 replays of them (``in_float32_op``)."""
    found, stack = set(), [Op]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            if sub not in found and "replays" not in vars(sub):
                found.add(sub)
                stack.append(sub)
    return found


def _graph_nodes(outputs) -> set:
    seen, stack = set(), [o.grad_fn for o in outputs if o.grad_fn is not None]
    while stack:
        node = stack.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        stack.extend(e[0] for e in node.next_functions if e is not None)
    return {type(n) for n in seen}


def test_every_primitive_is_exercised_by_a_table():
    from tests.op_harness import _outputs, _to_lib, make_arrays

    used = set()
    for spec in _tables():
        for case in spec.cases:
            inputs = _to_lib(tg, make_arrays(spec, case, np.float64, 0))
            outs = [o for o in _outputs(spec.fn(tg, *inputs)) if isinstance(o, tg.Tensor)]
            used |= _graph_nodes(outs)
            # backward ops (IndexAdd, ...) appear in the graph of a gradient
            diff = [x for x in inputs if isinstance(x, tg.Tensor) and x.requires_grad]
            roots = [o for o in outs if o.requires_grad]
            if roots and diff:
                grads = tg.autograd.grad(
                    roots,
                    diff,
                    [tg.ones_like(o) for o in roots],
                    create_graph=True,
                    allow_unused=True,
                )
                used |= _graph_nodes([g for g in grads if g is not None and g.requires_grad])
    missing = sorted(
        c.__name__ for c in _primitives() - used if c.__name__ not in PRIMITIVES_ELSEWHERE
    )
    assert not missing, f"primitives no op table exercises: {missing}"
