"""Elementwise ops against PyTorch and finite differences (see tests/op_harness.py)."""

from tests.op_harness import BINARY, UNARY, OpSpec, away_from_zero, make_tests, positive

OPS = [
    OpSpec("__add__", lambda lib, a, b: a + b, BINARY, covers=("add",)),
    OpSpec("__sub__", lambda lib, a, b: a - b, BINARY, covers=("sub", "subtract")),
    OpSpec("__mul__", lambda lib, a, b: a * b, BINARY, covers=("mul", "multiply")),
    OpSpec("__truediv__", lambda lib, a, b: a / b, BINARY, gen=positive, covers=("div",)),
    OpSpec("__neg__", lambda lib, x: -x, UNARY, covers=("neg", "negative")),
    OpSpec("exp", lambda lib, x: x.exp()),
    OpSpec("log", lambda lib, x: x.log(), gen=positive),
    OpSpec("tanh", lambda lib, x: x.tanh()),
    OpSpec("relu", lambda lib, x: x.relu(), gen=away_from_zero),
]

test_matches_torch, test_gradcheck = make_tests(OPS)
