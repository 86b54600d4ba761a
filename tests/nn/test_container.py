"""``ParameterList`` and ``ParameterDict`` (tensorgrad/nn/container.py) against PyTorch's:
registration (``parameters()``, ``state_dict()`` keys, ``to()``), list and dict behaviour, and
loading PyTorch's state dict strictly."""

from collections import OrderedDict

import numpy as np
import pytest

import tensorgrad as tg

torch = pytest.importorskip("torch")


def _values(lib):
    rng = np.random.default_rng(0)
    return [lib.tensor(rng.standard_normal(s).astype(np.float32)) for s in ((2, 3), (3,), (1,))]


class _Net:
    """A module holding a ParameterList and a ParameterDict, in either library."""

    @staticmethod
    def make(lib):
        class Net(lib.nn.Module):
            def __init__(self):
                super().__init__()
                a, b, c = _values(lib)
                self.plist = lib.nn.ParameterList([a, lib.nn.Parameter(b)])
                self.pdict = lib.nn.ParameterDict(OrderedDict(right=c, left=b.clone()))

            def forward(self, x):
                return x @ self.plist[0] + self.pdict["right"]

        return Net()


def test_registration_and_state_dict_keys_match_torch():
    a, b = _Net.make(tg), _Net.make(torch)
    assert list(a.state_dict()) == list(b.state_dict())
    assert list(a.state_dict()) == ["plist.0", "plist.1", "pdict.right", "pdict.left"]
    assert [n for n, _ in a.named_parameters()] == [n for n, _ in b.named_parameters()]
    assert all(isinstance(p, tg.nn.Parameter) and p.requires_grad for p in a.parameters())
    a.load_state_dict({k: v.detach().numpy() for k, v in b.state_dict().items()})
    np.testing.assert_array_equal(a.pdict["left"].detach().numpy(), b.pdict["left"].detach())
    a.double()
    assert a.plist[1].dtype == tg.float64 and a.pdict["right"].dtype == tg.float64
    x = tg.ones(4, 2, dtype=tg.float64)
    a(x).sum().backward()
    assert a.plist[0].grad.shape == (2, 3)


def test_parameter_list_behaves_as_a_list():
    a, b, c = _values(tg)
    plist = tg.nn.ParameterList([a])
    plist.append(b).extend([c])
    plist += [tg.ones(2)]
    assert len(plist) == 4 and list(plist.state_dict()) == ["0", "1", "2", "3"]
    assert plist[-1].shape == (2,) and isinstance(plist[0], tg.nn.Parameter)
    assert plist[0] is not a and plist[0].array is a.array  # a Parameter sharing a's storage
    assert [p.shape for p in plist] == [(2, 3), (3,), (1,), (2,)]
    assert [p.shape for p in plist[1:3]] == [(3,), (1,)]
    plist[1] = tg.zeros(5)
    assert plist[1].shape == (5,) and isinstance(plist[1], tg.nn.Parameter)
    plist.append("not a tensor")  # kept as a plain attribute, as PyTorch
    assert plist[4] == "not a tensor" and len(list(plist.parameters())) == 4
    with pytest.raises(IndexError, match="out of range"):
        plist[5]
    with pytest.raises(TypeError, match="extend should be called with an iterable"):
        plist.extend(tg.ones(2))
    with pytest.raises(RuntimeError, match="ParameterList should not be called"):
        plist(1)
    assert "0" not in dir(plist)


def test_parameter_dict_behaves_as_a_dict():
    a, b, c = _values(tg)
    pd = tg.nn.ParameterDict({"b": a, "a": b})  # a plain dict is added in sorted key order
    assert list(pd) == ["a", "b"] == list(torch.nn.ParameterDict({"b": 1, "a": 2}))
    pd["c"] = c
    assert "c" in pd and "z" not in pd and len(pd) == 3
    assert list(pd.keys()) == ["a", "b", "c"] and list(pd.state_dict()) == ["a", "b", "c"]
    assert [k for k, _ in pd.items()] == ["a", "b", "c"]
    assert [v.shape for v in pd.values()] == [(3,), (2, 3), (1,)]
    assert pd.get("z") is None and pd.get("a") is pd["a"]
    assert pd.pop("b").shape == (2, 3) and list(pd) == ["a", "c"]
    k, v = pd.popitem()
    assert k == "c" and v.shape == (1,) and list(pd.state_dict()) == ["a"]
    assert pd.setdefault("d", tg.ones(2)).shape == (2,)
    merged = pd | tg.nn.ParameterDict(OrderedDict(e=tg.ones(1)))
    assert list(merged) == ["a", "d", "e"] and list(pd) == ["a", "d"]
    pd.update([("f", tg.ones(3))])
    assert list(reversed(pd)) == ["f", "d", "a"]
    del pd["a"]
    pd.clear()
    assert len(pd) == 0 and list(pd.parameters()) == []
    with pytest.raises(TypeError, match="not a string"):
        pd[1] = tg.ones(1)
    with pytest.raises(ValueError, match="has length 3; 2 is required"):
        pd.update([("a", 1, 2)])


def test_repr_matches_torch():
    for make in (
        lambda lib: lib.nn.ParameterList([lib.ones(2, 3), lib.ones(4)]),
        lambda lib: lib.nn.ParameterDict(OrderedDict(w=lib.ones(2, 3), b=lib.ones(4))),
    ):
        ours = repr(make(tg)).replace("tensorgrad.float32", "X")
        theirs = repr(make(torch)).replace("torch.float32", "X").replace("torch.FloatTensor", "X")
        assert ours == theirs
