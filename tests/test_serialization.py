"""tensorgrad.serialization: whole-object checkpoints (tg.save(model)), refused by default,
loaded with allow-listed classes (add_safe_globals, safe_globals) or weights_only=False, and the
allow-list API itself (PyTorch's torch.serialization functions)."""

import json
import os
import pickle
import zipfile

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad import nn
from tensorgrad.checkpoint import CheckpointError
from tensorgrad.serialization import (
    add_safe_globals,
    clear_safe_globals,
    get_safe_globals,
    safe_globals,
)


@pytest.fixture(autouse=True)
def _no_safe_globals_leak():
    clear_safe_globals()
    yield
    clear_safe_globals()


class TinyLM(nn.Module):
    """Embedding, LayerNorm and a head tied to the embedding, plus a non-tensor attribute."""

    def __init__(self):
        super().__init__()
        self.wte = nn.Embedding(7, 4)
        self.body = nn.Sequential(nn.LayerNorm(4), nn.Linear(4, 4), nn.ReLU())
        self.head = nn.Linear(4, 7, bias=False)
        self.head.weight = self.wte.weight
        self.config = {"vocab": 7, "dim": 4}

    def forward(self, idx):
        return self.head(self.body(self.wte(idx)))


CLASSES = [TinyLM, nn.Embedding, nn.Sequential, nn.LayerNorm, nn.Linear, nn.ReLU]


def _model():
    tg.manual_seed(0)
    return TinyLM()


def _same_outputs(a, b):
    idx = tg.tensor([[0, 3, 6], [2, 2, 5]])
    np.testing.assert_array_equal(a(idx).detach().numpy(), b(idx).detach().numpy())


def test_tensors_parameters_and_modules_pickle_and_unpickle():
    model = _model()
    again = pickle.loads(pickle.dumps(model))
    _same_outputs(model, again)
    assert isinstance(again.wte.weight, nn.Parameter) and again.wte.weight.requires_grad
    assert again.head.weight is again.wte.weight  # pickle's memo keeps the tie
    t = tg.randn(3, 2).transpose(0, 1)
    back = pickle.loads(pickle.dumps(t))
    assert back.shape == (2, 3) and np.array_equal(back.numpy(), t.numpy())


def test_a_whole_model_is_refused_by_default_naming_the_class_and_how_to_allow_it(tmp_path):
    tg.save(_model(), tmp_path / "model.tg")
    with pytest.raises(CheckpointError) as info:
        tg.load(tmp_path / "model.tg")
    message = str(info.value)
    assert "model.tg" in message and "TinyLM" in message and "not an allowed global" in message
    assert "add_safe_globals([TinyLM])" in message and "weights_only=False" in message


def test_a_whole_model_loads_with_weights_only_false(tmp_path):
    model = _model()
    tg.save(model, tmp_path / "model.tg")
    again = tg.load(tmp_path / "model.tg", weights_only=False)
    assert type(again) is TinyLM and again.config == {"vocab": 7, "dim": 4}
    _same_outputs(model, again)
    assert again.head.weight is again.wte.weight  # tied weights stay one parameter
    assert isinstance(again.wte.weight, nn.Parameter) and again.wte.weight.requires_grad


def test_a_whole_model_loads_with_its_classes_allowed(tmp_path):
    model = _model()
    tg.save(model, tmp_path / "model.tg")
    with safe_globals(CLASSES):
        again = tg.load(tmp_path / "model.tg")
    _same_outputs(model, again)
    assert get_safe_globals() == []  # the context manager undoes what it added
    with pytest.raises(CheckpointError, match="TinyLM"):
        tg.load(tmp_path / "model.tg")
    add_safe_globals(CLASSES[:-1])  # one class short: that class is named
    with pytest.raises(CheckpointError, match=r"tensorgrad\.nn\.activation\.ReLU"):
        tg.load(tmp_path / "model.tg")
    add_safe_globals([nn.ReLU])
    _same_outputs(model, tg.load(tmp_path / "model.tg"))


def test_the_file_stores_tensors_as_arrays_beside_the_pickle(tmp_path):
    tg.save(_model(), tmp_path / "model.tg")
    with zipfile.ZipFile(tmp_path / "model.tg") as zf:
        manifest = json.loads(zf.read("manifest.json"))
        names = zf.namelist()
        pkl = zf.read("data.pkl")
    assert manifest == {"format": "tensorgrad", "version": 2,
                        "root": {"type": "pickle", "file": "data.pkl"}}  # fmt: skip
    # 5 arrays: the tied embedding/head weight once, LayerNorm's two, Linear's two
    assert sorted(n for n in names if n.startswith("arrays/")) == [
        f"arrays/{i}.npy" for i in range(5)
    ]
    assert len(pkl) < 4000  # no array bytes inside the pickle


def test_safe_globals_api_like_torch_serialization():
    assert get_safe_globals() == []
    add_safe_globals([nn.Linear])
    with safe_globals([nn.ReLU, nn.Linear]):
        assert set(get_safe_globals()) == {nn.Linear, nn.ReLU}
    assert get_safe_globals() == [nn.Linear]  # what was allowed before the block stays
    clear_safe_globals()
    assert get_safe_globals() == []


def test_a_class_can_be_allowed_under_the_name_a_file_uses(tmp_path):
    tg.save({"layer": nn.ReLU()}, tmp_path / "f.tg")
    with zipfile.ZipFile(tmp_path / "f.tg") as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    entries["data.pkl"] = entries["data.pkl"].replace(b"\x8c\x04ReLU", b"\x8c\x04Relu")
    with zipfile.ZipFile(tmp_path / "f.tg", "w") as zf:
        for n, data in entries.items():
            zf.writestr(n, data)
    with pytest.raises(CheckpointError, match=r"tensorgrad\.nn\.activation\.Relu"):
        tg.load(tmp_path / "f.tg")
    with safe_globals([(nn.ReLU, "tensorgrad.nn.activation.Relu")]):
        assert isinstance(tg.load(tmp_path / "f.tg")["layer"], nn.ReLU)


def test_plain_objects_beyond_json_pickle_and_load_by_default(tmp_path):
    obj = {"s": {1, 2}, (1, 2): "tuple key", "f": frozenset("ab"), "a": np.arange(3),
           "x": np.float32(1.5), "w": tg.ones(2)}  # fmt: skip
    tg.save(obj, tmp_path / "f.tg")
    out = tg.load(tmp_path / "f.tg")
    assert out["s"] == {1, 2} and out[(1, 2)] == "tuple key" and out["f"] == frozenset("ab")
    assert out["x"] == np.float32(1.5) and type(out["x"]) is np.float32
    np.testing.assert_array_equal(out["a"], np.arange(3))
    np.testing.assert_array_equal(out["w"].numpy(), np.ones(2, np.float32))


@pytest.mark.parametrize(
    "obj, name",
    [
        ([1, object()], "builtins.object"),
        ({"f": len}, "builtins.len"),
        (np.array([None, 1]), "numpy"),  # an object array is NumPy's pickle
    ],
)
def test_other_pickled_objects_are_refused_by_default(tmp_path, obj, name):
    tg.save(obj, tmp_path / "f.tg")
    with pytest.raises(CheckpointError, match=rf"f\.tg.*{name}"):
        tg.load(tmp_path / "f.tg")
    tg.load(tmp_path / "f.tg", weights_only=False)


def test_an_object_that_cannot_be_pickled_is_a_type_error_and_writes_nothing(tmp_path):
    with pytest.raises(TypeError, match="cannot save a dict.*cannot be pickled"):
        tg.save({"f": lambda x: x}, tmp_path / "f.tg")
    assert not os.listdir(tmp_path)


class _Payload:
    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


@pytest.mark.parametrize("kind", ["mkdir", "eval", "open"])
def test_a_crafted_pickle_inside_a_tensorgrad_file_is_refused_and_never_runs(tmp_path, kind):
    marker = tmp_path / "pwned"
    payload = {
        "mkdir": _Payload(os.mkdir, str(marker)),
        "eval": _Payload(eval, f"open({str(marker)!r}, 'w')"),
        "open": _Payload(open, str(marker), "w"),
    }[kind]
    path = tmp_path / "evil.tg"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", json.dumps(
            {"format": "tensorgrad", "version": 2, "root": {"type": "pickle", "file": "data.pkl"}}
        ))  # fmt: skip
        zf.writestr("data.pkl", pickle.dumps({"model": payload}))
    with pytest.raises(CheckpointError, match=r"evil\.tg.*was refused.*nothing"):
        tg.load(path)
    with safe_globals([payload.fn]):  # os/posix stay blocked even when allow-listed
        if kind == "mkdir":
            with pytest.raises(CheckpointError, match="posix module is ever allowed"):
                tg.load(path)
    assert not marker.exists()


def test_a_persistent_id_that_is_not_an_array_node_is_corrupt(tmp_path):
    class Pickler(pickle.Pickler):
        def persistent_id(self, obj):
            return {"type": "module", "file": "x"} if obj == "hook" else None

    import io

    buf = io.BytesIO()
    Pickler(buf).dump(["hook"])
    path = tmp_path / "bad.tg"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", json.dumps(
            {"format": "tensorgrad", "version": 2, "root": {"type": "pickle", "file": "data.pkl"}}
        ))  # fmt: skip
        zf.writestr("data.pkl", buf.getvalue())
    with pytest.raises(CheckpointError, match=r"bad\.tg.*corrupt.*not an array node"):
        tg.load(path)
