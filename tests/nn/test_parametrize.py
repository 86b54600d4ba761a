"""``nn.utils.parametrize`` and ``nn.utils.parametrizations`` against PyTorch: the same
parametrization registered in both libraries, weights copied through PyTorch's state-dict keys
(``parametrizations.weight.original``, ``original0``/``original1``, ``0._u``), then values,
gradients of the originals, the power iteration's buffers, ``right_inverse`` on assignment,
``cached()``, removal, and PyTorch checkpoints loaded as they are."""

import copy
import pickle

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.nn.utils import parametrizations, parametrize
from tests.nn.layer_harness import check_layer, copy_weights

torch = pytest.importorskip("torch")


def symmetric(lib):
    """X -> triu(X) + triu(X, 1)ᵀ, with right_inverse(A) = triu(A)."""

    class Symmetric(lib.nn.Module):
        def forward(self, X):
            return X.triu() + X.triu(1).mT

        def right_inverse(self, A):
            return A.triu()

    return Symmetric()


def scaled(lib, factor):
    class Scale(lib.nn.Module):
        def forward(self, X):
            return X * factor

        def right_inverse(self, A):
            return A / factor

    return Scale()


def split(lib):
    """Two tensors: X = A + B, right_inverse(X) = (X / 2, X / 2)."""

    class Split(lib.nn.Module):
        def forward(self, A, B):
            return A + B

        def right_inverse(self, X):
            return X / 2, X / 2

    return Split()


def _both(build, *registrations, unsafe=False):
    """``build(lib)`` in both libraries with the same parametrizations registered."""
    layers = []
    for lib, P in ((tg, parametrize), (torch, torch.nn.utils.parametrize)):
        layer = build(lib)
        for make in registrations:
            P.register_parametrization(layer, "weight", make(lib), unsafe=unsafe)
        layers.append(layer)
    return layers


def test_register_parametrization_matches_torch():
    ours, theirs = _both(lambda lib: lib.nn.Linear(4, 4), symmetric)
    assert type(ours).__name__ == type(theirs).__name__ == "ParametrizedLinear"
    assert repr(ours) == repr(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert list(ours.state_dict()) == ["bias", "parametrizations.weight.original"]
    assert parametrize.is_parametrized(ours) and parametrize.is_parametrized(ours, "weight")
    assert not parametrize.is_parametrized(ours, "bias")
    assert parametrize.type_before_parametrizations(ours) is tg.nn.Linear
    x = np.random.default_rng(0).standard_normal((3, 4))
    check_layer(ours, theirs, [x])  # the gradient reaches parametrizations.weight.original
    w = ours.weight.detach().numpy()
    np.testing.assert_allclose(w, w.T)


def test_chained_parametrizations_apply_in_order_and_assignment_inverts_them():
    ours, theirs = _both(lambda lib: lib.nn.Linear(3, 3), symmetric, lambda lib: scaled(lib, 3.0))
    assert len(ours.parametrizations.weight) == 2
    check_layer(ours, theirs, [np.random.default_rng(1).standard_normal((2, 3))])
    target = np.random.default_rng(2).standard_normal((3, 3))
    target = target + target.T
    original = ours.parametrizations.weight.original
    ours.weight = tg.tensor(target, dtype=tg.float64)  # right_inverse of both, last first
    theirs.weight = torch.tensor(target)
    assert ours.parametrizations.weight.original is original  # the same parameter object
    np.testing.assert_allclose(ours.weight.detach().numpy(), target, rtol=1e-12)
    np.testing.assert_allclose(
        original.detach().numpy(),
        theirs.parametrizations.weight.original.detach().numpy(),
        rtol=1e-12,
    )


def test_right_inverse_returning_several_tensors_stores_original0_original1():
    ours, theirs = _both(lambda lib: lib.nn.Linear(4, 2), split, unsafe=True)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "parametrizations.weight.original1" in ours.state_dict()
    check_layer(ours, theirs, [np.random.default_rng(3).standard_normal((5, 4))])
    with pytest.raises(ValueError, match="Cannot leave unparametrized"):
        parametrize.remove_parametrizations(ours, "weight", leave_parametrized=False)


def test_cached_computes_each_parametrization_once_per_block():
    layer = parametrize.register_parametrization(tg.nn.Linear(3, 3), "weight", symmetric(tg))
    assert layer.weight is not layer.weight
    with parametrize.cached():
        first = layer.weight
        assert layer.weight is first
        with parametrize.cached():
            assert layer.weight is first
        assert layer.weight is first
    assert layer.weight is not first


def test_remove_parametrizations_restores_the_class_and_the_parameter():
    for leave in (True, False):
        layer = tg.nn.Linear(3, 3)
        weight = layer.weight
        parametrize.register_parametrization(layer, "weight", symmetric(tg))
        value = layer.weight.detach().numpy().copy()
        stored = layer.parametrizations.weight.original.detach().numpy().copy()
        parametrize.remove_parametrizations(layer, "weight", leave_parametrized=leave)
        assert type(layer) is tg.nn.Linear and not hasattr(layer, "parametrizations")
        assert layer.weight is weight and isinstance(layer.weight, tg.nn.Parameter)
        assert list(layer.state_dict()) == ["bias", "weight"]
        np.testing.assert_array_equal(layer.weight.detach().numpy(), value if leave else stored)
    with pytest.raises(ValueError, match="does not have a parametrization on weight"):
        parametrize.remove_parametrizations(layer, "weight")


def test_registration_errors_are_torchs():
    class Shrink(tg.nn.Module):
        def forward(self, X):
            return X[:1]

    with pytest.raises(ValueError, match="may not change the shape"):
        parametrize.register_parametrization(tg.nn.Linear(3, 3), "weight", Shrink())
    parametrize.register_parametrization(tg.nn.Linear(3, 3), "weight", Shrink(), unsafe=True)
    with pytest.raises(ValueError, match="does not have a parameter, a buffer"):
        parametrize.register_parametrization(tg.nn.Linear(3, 3), "kernel", symmetric(tg))
    layer = parametrize.register_parametrization(tg.nn.Linear(3, 3), "weight", symmetric(tg))
    with pytest.raises(KeyError, match="attribute 'weight' already exists"):
        layer.weight = tg.nn.Parameter(tg.randn(3, 3))


def test_parametrized_modules_copy_but_do_not_pickle():
    layer = parametrize.register_parametrization(tg.nn.Linear(3, 3), "weight", symmetric(tg))
    twin = copy.deepcopy(layer)
    np.testing.assert_array_equal(twin.weight.detach().numpy(), layer.weight.detach().numpy())
    assert twin.parametrizations.weight.original is not layer.parametrizations.weight.original
    with pytest.raises(RuntimeError, match="only supported through state_dict"):
        pickle.dumps(layer)


def test_transfer_parametrizations_and_params_shares_them():
    source = parametrize.register_parametrization(tg.nn.Linear(3, 3), "weight", symmetric(tg))
    target = parametrize.transfer_parametrizations_and_params(source, tg.nn.Linear(3, 3))
    assert parametrize.is_parametrized(target, "weight")
    original = source.parametrizations.weight.original
    assert target.parametrizations.weight.original is original
    np.testing.assert_array_equal(target.weight.detach().numpy(), source.weight.detach().numpy())


def test_training_through_a_parametrization_matches_torch():
    ours, theirs = _both(lambda lib: lib.nn.Linear(4, 4), symmetric)
    ours.double()
    theirs.double()
    copy_weights(ours, theirs)
    x = np.random.default_rng(4).standard_normal((6, 4))
    opt_ours = tg.optim.SGD(ours.parameters(), lr=0.1, momentum=0.9)
    opt_theirs = torch.optim.SGD(theirs.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        for layer, opt, lib in ((ours, opt_ours, tg), (theirs, opt_theirs, torch)):
            opt.zero_grad()
            (layer(lib.tensor(x)) ** 2).sum().backward()
            opt.step()
    np.testing.assert_allclose(
        ours.weight.detach().numpy(), theirs.weight.detach().numpy(), rtol=1e-10
    )


# ---------------------------------------------------------------------- parametrizations


@pytest.mark.parametrize("dim", [0, 1, None])
@pytest.mark.parametrize(
    "name, args, shape",
    [("Linear", (4, 3), (5, 4)), ("Conv2d", (2, 3, 3), (1, 2, 5, 5))],
)
def test_weight_norm_matches_torch(name, args, shape, dim):
    ours = parametrizations.weight_norm(getattr(tg.nn, name)(*args), dim=dim)
    theirs = torch.nn.utils.parametrizations.weight_norm(getattr(torch.nn, name)(*args), dim=dim)
    keys = ["bias", "parametrizations.weight.original0", "parametrizations.weight.original1"]
    assert list(ours.state_dict()) == list(theirs.state_dict()) == keys
    check_layer(ours, theirs, [np.random.default_rng(0).standard_normal(shape)])


def test_weight_norm_starts_at_the_weight_and_loads_old_checkpoints():
    layer = tg.nn.Linear(4, 3)
    w = layer.weight.detach().numpy().copy()
    parametrizations.weight_norm(layer)
    np.testing.assert_allclose(layer.weight.detach().numpy(), w, rtol=1e-6)
    # a state dict of the deprecated hook API (weight_g, weight_v) from PyTorch
    with pytest.warns(FutureWarning):
        old = torch.nn.utils.weight_norm(torch.nn.Linear(4, 3))
    layer.load_state_dict({k: v.detach().numpy() for k, v in old.state_dict().items()})
    np.testing.assert_allclose(
        layer.weight.detach().numpy(), old.weight.detach().numpy(), rtol=1e-6
    )
    parametrize.remove_parametrizations(layer, "weight")
    assert list(layer.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(layer.weight.detach().numpy(), old.weight.detach().numpy(), 1e-6)


@pytest.mark.parametrize(
    "name, args, shape, kwargs",
    [
        ("Linear", (5, 4), (3, 5), {}),
        ("Linear", (5, 4), (3, 5), {"n_power_iterations": 2, "eps": 1e-8}),
        ("Conv2d", (2, 3, 3), (1, 2, 5, 5), {}),
        ("ConvTranspose2d", (3, 2, 2), (1, 3, 3, 3), {}),
    ],
)
def test_spectral_norm_matches_torch(name, args, shape, kwargs):
    ours = parametrizations.spectral_norm(getattr(tg.nn, name)(*args), **kwargs)
    theirs = torch.nn.utils.parametrizations.spectral_norm(getattr(torch.nn, name)(*args), **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert "parametrizations.weight.0._u" in ours.state_dict()
    ours.double()
    theirs.double()
    copy_weights(ours, theirs)
    x = np.random.default_rng(0).standard_normal(shape)
    for train in (True, True, False):  # power iterations update _u, _v; eval reads them
        check_layer(ours, theirs, [x], train=train, copy=False)
        for p, q in zip(ours.parameters(), theirs.parameters()):
            p.grad = q.grad = None


def test_spectral_norm_registration_iterates_towards_sigma_and_normalises_vectors():
    layer = tg.nn.Linear(6, 5)
    w = layer.weight.detach().numpy().copy()
    parametrizations.spectral_norm(layer)  # 15 power iterations at registration
    layer.eval()
    sigma = np.linalg.svd(w, compute_uv=False)[0]
    np.testing.assert_allclose(layer.weight.detach().numpy(), w / sigma, rtol=1e-2)
    vector = parametrizations.spectral_norm(tg.nn.Linear(3, 2), name="bias")
    np.testing.assert_allclose(np.linalg.norm(vector.bias.detach().numpy()), 1.0, rtol=1e-6)
    with pytest.raises(ValueError, match="no parameter or buffer with name 'kernel'"):
        parametrizations.spectral_norm(tg.nn.Linear(3, 2), name="kernel")
    with pytest.raises(IndexError, match="Dimension out of range"):
        parametrizations.spectral_norm(tg.nn.Linear(3, 2), dim=2)


def test_torch_checkpoints_of_parametrized_models_load():
    theirs = torch.nn.Sequential(torch.nn.Linear(4, 6), torch.nn.Tanh(), torch.nn.Linear(6, 2))
    torch.nn.utils.parametrizations.weight_norm(theirs[0])
    torch.nn.utils.parametrizations.spectral_norm(theirs[2])
    ours = tg.nn.Sequential(tg.nn.Linear(4, 6), tg.nn.Tanh(), tg.nn.Linear(6, 2))
    parametrizations.weight_norm(ours[0])
    parametrizations.spectral_norm(ours[2])
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    ours.eval()
    theirs.eval()
    x = np.random.default_rng(5).standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(
        ours(tg.tensor(x)).detach().numpy(),
        theirs(torch.tensor(x)).detach().numpy(),
        rtol=1e-5,
        atol=1e-6,
    )


# ---------------------------------------------------------------------- orthogonal

ORTHOGONAL = [
    ((4, 4), None, True),  # matrix_exp
    ((4, 4), "cayley", True),
    ((4, 4), "householder", True),
    ((4, 4), "householder", False),
    ((4, 4), "matrix_exp", False),  # no base: the weight itself is the unconstrained matrix
    ((5, 3), None, True),  # householder
    ((5, 3), "matrix_exp", True),
    ((3, 5), None, False),
    ((3, 5), "cayley", True),
    ((2, 4, 3), "matrix_exp", True),  # a batch of matrices (a buffer of a plain module)
]


def _holding(lib, value):
    """A module with ``weight`` = ``value``: a Linear for a matrix, else a buffer."""
    if value.ndim == 2:
        layer = lib.nn.Linear(value.shape[1], value.shape[0], bias=False).double()
        with lib.no_grad():
            layer.weight.copy_(lib.tensor(value))
        return layer
    layer = lib.nn.Module()
    layer.weight = lib.nn.Parameter(lib.tensor(value))
    return layer


@pytest.mark.parametrize("shape, orthogonal_map, trivial", ORTHOGONAL)
def test_orthogonal_matches_torch(shape, orthogonal_map, trivial):
    rng = np.random.default_rng(0)
    w = rng.standard_normal(shape)
    ours, theirs = _holding(tg, w), _holding(torch, w)
    parametrizations.orthogonal(ours, orthogonal_map=orthogonal_map, use_trivialization=trivial)
    torch.nn.utils.parametrizations.orthogonal(
        theirs, orthogonal_map=orthogonal_map, use_trivialization=trivial
    )
    assert list(ours.state_dict()) == list(theirs.state_dict())
    # registration is deterministic but for the random columns completing a non-square base
    if shape[-1] == shape[-2] or not trivial:
        np.testing.assert_allclose(
            ours.weight.detach().numpy(), theirs.weight.detach().numpy(), atol=1e-12
        )
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    # a step away from the start (off the diagonal: householder reads signs from it)
    off = rng.standard_normal(shape) * 0.3 * (1 - np.eye(*shape[-2:]))
    for layer, lib in ((ours, tg), (theirs, torch)):
        with lib.no_grad():
            layer.parametrizations.weight.original.add_(lib.tensor(off))
    w_ours, w_theirs = ours.weight, theirs.weight
    np.testing.assert_allclose(w_ours.detach().numpy(), w_theirs.detach().numpy(), atol=1e-12)
    q = w_ours.detach().numpy()
    q = q if shape[-2] >= shape[-1] else q.swapaxes(-1, -2)
    np.testing.assert_allclose(q.swapaxes(-1, -2) @ q - np.eye(q.shape[-1]), 0.0, atol=1e-12)
    g = rng.standard_normal(shape)
    w_ours.backward(tg.tensor(g))
    w_theirs.backward(torch.tensor(g))
    np.testing.assert_allclose(
        ours.parametrizations.weight.original.grad.numpy(),
        theirs.parametrizations.weight.original.grad.numpy(),
        atol=1e-10,
    )


def test_orthogonal_assignment_and_errors_are_torchs():
    layer = parametrizations.orthogonal(tg.nn.Linear(4, 4))
    q = np.linalg.qr(np.random.default_rng(1).standard_normal((4, 4)))[0]
    layer.weight = tg.tensor(q, dtype=tg.float32)  # an orthogonal matrix: becomes the base
    np.testing.assert_allclose(layer.weight.detach().numpy(), q, atol=1e-6)
    np.testing.assert_array_equal(
        layer.parametrizations.weight.original.detach().numpy(), -np.eye(4)
    )
    with pytest.raises(ValueError, match="Expected a matrix or batch of matrices"):
        parametrizations.orthogonal(tg.nn.Linear(3, 2), name="bias")
    with pytest.raises(ValueError, match='orthogonal_map has to be one of "matrix_exp"'):
        parametrizations.orthogonal(tg.nn.Linear(3, 2), orthogonal_map="qr")
    # the matrix exponential cannot be inverted without a base: registration keeps the
    # weight as the unconstrained matrix, assignment raises (as PyTorch)
    layer = parametrizations.orthogonal(tg.nn.Linear(3, 3), use_trivialization=False)
    with pytest.raises(NotImplementedError, match="use_trivialization=False"):
        layer.weight = tg.eye(3)
