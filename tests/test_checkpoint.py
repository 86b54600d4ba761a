"""tensorgrad.checkpoint: round trips, atomic writes, refusing pickles, corrupt files that change
nothing, strict checks of keys and shapes, exact resume and safetensors interop with torch."""

import collections
import io
import json
import os
import pickle
import re
import subprocess
import sys
import textwrap
import zipfile

import numpy as np
import pytest
import torch

import tensorgrad as tg
import tensorgrad.lr_scheduler as tsched
from tensorgrad import nn, optim
from tensorgrad.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from tests.conftest import cuda_available

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _same(a, b):
    """Equal values, types and (for arrays) dtypes and shapes, recursively."""
    assert type(a) is type(b), (type(a), type(b))
    if isinstance(a, tg.Tensor):
        assert a.dtype == b.dtype and a.shape == b.shape and a.requires_grad == b.requires_grad
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    elif isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a, b)
    elif isinstance(a, dict):
        assert list(a) == list(b)
        for k in a:
            assert type(k) is type(next(kb for kb in b if kb == k))
            _same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _same(x, y)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b


def _round_trip(obj, tmp_path):
    path = tmp_path / "obj.tg"
    tg.save(obj, path)
    return tg.load(path)


# ----------------------------------------------------------------------------- round trips


def test_nested_containers_round_trip(tmp_path):
    obj = {
        "state": {0: {"step": tg.tensor(3.0), "exp_avg": tg.randn(2, 3)}, 1: {}},
        "param_groups": [{"params": [0, 1], "lr": 1e-3, "betas": (0.9, 0.999), "foreach": None}],
        "nested": [(1, "two", [3.0, False]), {"deep": ({"x": -0.0},)}],
        "floats": [float("inf"), float("-inf"), float("nan"), 1e-300, 2**70],
        "text": "ünïcödé ✓",
        "odict": collections.OrderedDict([("b", 1), ("a", 2)]),
        "counter": collections.Counter([3, 3, 5]),
        "array": np.arange(6, dtype=np.int16).reshape(2, 3),
        "scalar": np.float32(1.5),
        -4: None,
    }
    _same(obj, _round_trip(obj, tmp_path))


@pytest.mark.parametrize(
    "dtype", [np.float16, np.float32, np.float64, np.int8, np.int32, np.int64, np.uint8, np.bool_]
)
@pytest.mark.parametrize("shape", [(), (0,), (0, 3), (2, 3, 4)])
def test_tensor_dtypes_and_shapes_round_trip(tmp_path, dtype, shape):
    array = (np.random.default_rng(0).standard_normal(shape) * 10).astype(dtype)
    t = tg.tensor(array)
    grad = tg.tensor(array.astype(np.float32), requires_grad=True)
    out = _round_trip({"t": t, "g": grad, "a": array}, tmp_path)
    _same({"t": t, "g": grad, "a": array}, out)


def test_non_contiguous_tensor_and_parameter_round_trip(tmp_path):
    t = tg.arange(12.0).reshape(3, 4).transpose(0, 1)
    p = nn.Parameter(tg.randn(2, 2))
    frozen = nn.Parameter(tg.randn(2), requires_grad=False)
    out = _round_trip([t, p, frozen], tmp_path)
    _same([t, p, frozen], out)
    assert isinstance(out[1], nn.Parameter) and out[1].is_leaf


def test_map_location_cpu(tmp_path):
    tg.save({"w": tg.ones(2)}, tmp_path / "f")
    assert tg.load(tmp_path / "f", map_location="cpu")["w"].device == tg.device("cpu")


@pytest.mark.cuda
@pytest.mark.skipif(not cuda_available(), reason="needs CuPy and a CUDA GPU")
def test_cuda_tensors_keep_their_device_or_follow_map_location(tmp_path):
    t = tg.randn(3, 2).cuda()
    tg.save({"t": t, "s": tg.ones(2)}, tmp_path / "f")
    out = tg.load(tmp_path / "f")
    assert out["t"].device == t.device and out["s"].device == tg.device("cpu")
    np.testing.assert_array_equal(out["t"].cpu().numpy(), t.cpu().numpy())
    assert tg.load(tmp_path / "f", map_location="cpu")["t"].device == tg.device("cpu")
    assert tg.load(tmp_path / "f", map_location="cuda")["s"].device == t.device
    tg.save_safetensors({"t": t}, tmp_path / "w.safetensors")
    assert tg.load_safetensors(tmp_path / "w.safetensors", device="cuda")["t"].device == t.device


@pytest.mark.parametrize(
    "obj, message",
    [
        (
            {"param_groups": [{"foo": object()}]},
            "obj['param_groups'][0]['foo']: cannot save a object",
        ),
        ([1, object()], "obj[1]: cannot save a object"),
        ({frozenset(): 3}, "obj: cannot save a dict key frozenset()"),
        ({"f": len}, "obj['f']: cannot save a builtin_function_or_method"),
        (np.array([None]), "obj: cannot save a ndarray"),
    ],
)
def test_unsupported_objects_raise_type_error_naming_the_path(tmp_path, obj, message):
    # format="torch" holds what torch.load(weights_only=True) reads: anything else is named
    with pytest.raises(TypeError, match=re.escape(message)):
        tg.save(obj, tmp_path / "f", format="torch")
    assert not os.listdir(tmp_path)  # nothing written, no temporary file left
    # tensorgrad's own format pickles what is not plain data (tests/test_serialization.py)
    tg.save(obj, tmp_path / "f")
    with zipfile.ZipFile(tmp_path / "f") as zf:
        root = json.loads(zf.read("manifest.json"))["root"]
    assert root == {"type": "pickle", "file": "data.pkl"}


def test_file_is_a_zip_with_a_json_manifest_and_npy_arrays(tmp_path):
    tg.save({"w": tg.ones(2, 3), 7: (1,)}, tmp_path / "f")
    with zipfile.ZipFile(tmp_path / "f") as zf:
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
        manifest = json.loads(zf.read("manifest.json"))
        array = np.load(io.BytesIO(zf.read("arrays/0.npy")), allow_pickle=False)
    assert manifest["format"] == "tensorgrad"
    assert manifest["root"]["items"][1] == [7, {"type": "tuple", "items": [1]}]
    np.testing.assert_array_equal(array, np.ones((2, 3), np.float32))


def test_optimizer_and_scheduler_state_dicts_round_trip(tmp_path):
    model = nn.Linear(3, 2)
    opt = optim.Adam(model.parameters(), lr=0.1, amsgrad=True)
    for _ in range(2):
        opt.zero_grad()
        model(tg.randn(4, 3)).sum().backward()
        opt.step()
    state = opt.state_dict()
    out = _round_trip(state, tmp_path)
    _same(state, out)
    opt2 = optim.Adam(nn.Linear(3, 2).parameters(), lr=0.1, amsgrad=True)
    opt2.load_state_dict(out)
    _same(opt2.state_dict(), state)


@pytest.mark.parametrize(
    "make",
    [
        lambda o: tsched.StepLR(o, 2),
        lambda o: tsched.MultiStepLR(o, [1, 3, 3]),
        lambda o: tsched.ExponentialLR(o, 0.9),
        lambda o: tsched.CosineAnnealingLR(o, 5),
        lambda o: tsched.LinearLR(o),
        lambda o: tsched.OneCycleLR(o, max_lr=1.0, total_steps=10),
        lambda o: tsched.ReduceLROnPlateau(o),
        lambda o: tsched.LambdaLR(o, lambda e: 0.5**e),
        lambda o: tsched.WarmupCosineLR(o, warmup_epochs=2, max_epochs=6),
    ],
)
def test_every_scheduler_state_round_trips(tmp_path, make):
    sched = make(optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1, momentum=0.9))
    for _ in range(3):
        sched.optimizer.step()
        sched.step(1.0) if isinstance(sched, tsched.ReduceLROnPlateau) else sched.step()
    state = sched.state_dict()
    out = _round_trip(state, tmp_path)
    _same(state, out)
    fresh = make(optim.SGD(nn.Linear(2, 2).parameters(), lr=0.1, momentum=0.9))
    fresh.optimizer.load_state_dict(sched.optimizer.state_dict())  # the lrs live there
    fresh.load_state_dict(out)
    for s in (sched, fresh):
        s.optimizer.step()
        s.step(1.0) if isinstance(s, tsched.ReduceLROnPlateau) else s.step()
    assert fresh.optimizer.param_groups[0]["lr"] == sched.optimizer.param_groups[0]["lr"]


# ----------------------------------------------------------------------------- atomic writes

CHILD = """
import os, sys
sys.path.insert(0, {root!r})
import tensorgrad as tg
from tensorgrad import checkpoint

original = checkpoint._write_array
calls = []

def dying_write(zf, name, array):
    calls.append(name)
    if len(calls) == 2:  # the first array is in the temp file; die half way through the second
        with zf.open(name, "w") as f:
            f.write(b"\\x93NUMPY" + b"\\0" * 50)
            f.flush()
            zf.fp.flush()
            os._exit(17)
    original(zf, name, array)

checkpoint._write_array = dying_write
tg.save({{"w": tg.full((100,), 2.0), "b": tg.full((100,), 2.0)}}, {path!r})
"""


def test_killed_while_saving_leaves_the_previous_file_whole(tmp_path):
    path = tmp_path / "ckpt.tg"
    tg.save({"w": tg.full((100,), 1.0), "b": tg.full((100,), 1.0)}, path)
    code = textwrap.dedent(CHILD.format(root=ROOT, path=str(path)))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=60)
    assert result.returncode == 17, result.stderr.decode()
    out = tg.load(path)
    np.testing.assert_array_equal(out["w"].numpy(), np.ones(100, np.float32))
    np.testing.assert_array_equal(out["b"].numpy(), np.ones(100, np.float32))
    leftovers = [n for n in os.listdir(tmp_path) if n != "ckpt.tg"]
    assert len(leftovers) == 1  # the dead child's temporary file: hidden, named .tmp
    assert leftovers[0].startswith(".ckpt.tg.") and leftovers[0].endswith(".tmp")
    with pytest.raises(CheckpointError, match="truncated or corrupt"):
        tg.load(tmp_path / leftovers[0])
    save_checkpoint(path, *_model_and_opt())  # the next save clears the dead child's leftover
    assert os.listdir(tmp_path) == ["ckpt.tg"]


def test_a_save_removes_stale_temp_files_of_dead_writers_only(tmp_path):
    from tensorgrad.checkpoint import _HOST

    child = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead, alive = int(child.stdout), os.getpid()
    names = {
        "dead": f".w.tg.{dead}@{_HOST}.abc123.tmp",  # a killed save to w.tg: removed
        "alive": f".w.tg.{alive}@{_HOST}.def456.tmp",  # a save that is still writing: kept
        "other_host": f".w.tg.{dead}@elsewhere-{_HOST}.x1.tmp",  # another machine's PID: kept
        "other_file": f".w.tg.bak.{dead}@{_HOST}.x2.tmp",  # no owner where one belongs: kept
        "other_target": f".v.tg.{dead}@{_HOST}.x3.tmp",  # a save to v.tg: not this save's
        "old_style": ".w.tg.k2j4_x9a.tmp",  # no owner recorded: kept
    }
    for name in names.values():
        (tmp_path / name).write_bytes(b"partial")
    tg.save({"a": tg.ones(2)}, tmp_path / "w.tg")
    left = set(os.listdir(tmp_path))
    assert left == {"w.tg"} | {n for k, n in names.items() if k != "dead"}


def test_failed_save_keeps_the_old_file_and_removes_its_temp(tmp_path, monkeypatch):
    from tensorgrad import checkpoint

    path = tmp_path / "f.tg"
    tg.save({"w": tg.ones(3)}, path)

    def broken(zf, name, array):
        raise OSError("disk full")

    monkeypatch.setattr(checkpoint, "_write_array", broken)
    with pytest.raises(OSError, match="disk full"):
        tg.save({"w": tg.zeros(3)}, path)
    assert os.listdir(tmp_path) == ["f.tg"]
    monkeypatch.undo()
    np.testing.assert_array_equal(tg.load(path)["w"].numpy(), np.ones(3, np.float32))


# ----------------------------------------------------------------------------- hostile files


class _Evil:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):  # unpickling this would create the marker file
        return (open, (self.marker, "w"))


def _model_and_opt():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
    opt = optim.Adam(model.parameters(), lr=0.01)
    opt.zero_grad()
    model(tg.randn(5, 4)).sum().backward()
    opt.step()
    return model, opt


def _snapshot(model, opt):
    weights = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    state = {
        i: {k: v.numpy().copy() for k, v in s.items()} for i, s in enumerate(opt.state.values())
    }
    return weights, state, [dict(g, params=None) for g in opt.param_groups]


def _assert_untouched(model, opt, before):
    after = _snapshot(model, opt)
    for a, b in zip(before[:2], after[:2]):
        assert a.keys() == b.keys()
        for k in a:
            if isinstance(a[k], dict):
                for kk in a[k]:
                    np.testing.assert_array_equal(a[k][kk], b[k][kk])
            else:
                np.testing.assert_array_equal(a[k], b[k])
    assert before[2] == after[2]


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
def test_a_crafted_pickle_is_refused_and_never_run(tmp_path, protocol):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.pt"
    path.write_bytes(pickle.dumps({"model": _Evil(str(marker))}, protocol=protocol))
    with pytest.raises(CheckpointError, match=r"evil\.pt.*pickle file; tensorgrad never loads"):
        tg.load(path)
    model, opt = _model_and_opt()
    before = _snapshot(model, opt)
    with pytest.raises(CheckpointError, match="never loads pickle"):
        load_checkpoint(path, model, opt)
    _assert_untouched(model, opt, before)
    assert not marker.exists()


def test_a_torch_save_file_loads_and_a_malicious_one_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "model.pt"
    torch.save({"w": torch.ones(2)}, path)
    np.testing.assert_array_equal(tg.load(path)["w"].numpy(), np.ones(2, np.float32))
    # the same container with a malicious data.pkl (tests/test_torch_format.py has more)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", pickle.dumps(_Evil(str(marker))))
    with pytest.raises(CheckpointError, match=r"model\.pt.*refused.*io\.open.*nothing"):
        tg.load(path)
    assert not marker.exists()


def test_an_object_array_inside_the_archive_is_not_unpickled(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "f.tg"
    tg.save({"w": np.zeros(1)}, path)
    buf = io.BytesIO()
    np.save(buf, np.array([_Evil(str(marker))], dtype=object), allow_pickle=True)
    with zipfile.ZipFile(path) as zf:
        manifest = zf.read("manifest.json")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", manifest.replace(b"<f8", b"|O"))
        zf.writestr("arrays/0.npy", buf.getvalue())
    with pytest.raises(CheckpointError, match=r"f\.tg.*corrupt.*allow_pickle"):
        tg.load(path)
    assert not marker.exists()


def _checkpoint(tmp_path):
    model, opt = _model_and_opt()
    path = tmp_path / "ckpt.tg"
    save_checkpoint(path, model, opt, epoch=3)
    return path


@pytest.mark.parametrize("damage", ["half", "tail", "empty", "flip_byte", "garbage"])
def test_a_truncated_or_corrupt_file_leaves_model_and_optimizer_untouched(tmp_path, damage):
    path = _checkpoint(tmp_path)
    data = path.read_bytes()
    if damage == "half":
        data = data[: len(data) // 2]
    elif damage == "tail":
        data = data[:-10]
    elif damage == "empty":
        data = b""
    elif damage == "flip_byte":  # inside the first array's payload: the CRC check catches it
        i = data.index(b"\x93NUMPY") + 140
        data = data[:i] + bytes([data[i] ^ 0xFF]) + data[i + 1 :]
    else:
        data = b"definitely not a checkpoint"
    path.write_bytes(data)
    model, opt = _model_and_opt()
    before = _snapshot(model, opt)
    rng_before = tg.get_rng_state().numpy().copy()
    with pytest.raises(CheckpointError, match=r"ckpt\.tg"):
        load_checkpoint(path, model, opt)
    _assert_untouched(model, opt, before)
    np.testing.assert_array_equal(tg.get_rng_state().numpy(), rng_before)


def _flipped(data: bytes, i: int, mask: int) -> bytes:
    return data[:i] + bytes([data[i] ^ mask]) + data[i + 1 :]


def test_every_single_byte_flip_loads_the_original_or_raises_checkpoint_error(tmp_path):
    # Every byte of a small file, every bit and the whole byte: the central directory's
    # compression method, encryption flag and version fields once escaped as zipfile's
    # NotImplementedError or RuntimeError; a flip may only be harmless (a timestamp) or caught.
    path, damaged = tmp_path / "small.tg", tmp_path / "damaged.tg"
    original = {"w": tg.arange(6.0).reshape(2, 3), "step": 3}
    tg.save(original, path)
    data = path.read_bytes()
    outcomes = collections.Counter()
    for i in range(len(data)):
        for mask in (0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0xFF):
            damaged.write_bytes(_flipped(data, i, mask))
            try:
                out = tg.load(damaged)
            except CheckpointError as e:
                assert "damaged.tg" in str(e)
                outcomes["error"] += 1
                continue
            _same(original, out)
            outcomes["same"] += 1
    assert outcomes["error"] > outcomes["same"] > 0, outcomes


def test_a_byte_flip_in_the_zip_directory_leaves_model_and_optimizer_untouched(tmp_path):
    path = _checkpoint(tmp_path)
    data = path.read_bytes()
    directory = data.rindex(b"PK\x01\x02", 0, data.index(b"PK\x05\x06"))  # the last entry
    model, opt = _model_and_opt()
    load_checkpoint(path, model, opt)
    saved = _snapshot(model, opt)
    for i in range(directory, directory + 46):  # its fixed-size header fields
        path.write_bytes(_flipped(data, i, 0xFF))
        model, opt = _model_and_opt()
        before = _snapshot(model, opt)
        try:
            load_checkpoint(path, model, opt)
        except CheckpointError as e:
            assert "ckpt.tg" in str(e)
            _assert_untouched(model, opt, before)
        else:  # a harmless flip (a timestamp, an attribute): the saved values, all of them
            _assert_untouched(model, opt, saved)


@pytest.mark.skipif(cuda_available(), reason="needs a machine without CUDA")
def test_tensors_saved_on_cuda_load_on_a_cpu_machine_only_with_map_location(tmp_path):
    path = tmp_path / "gpu.tg"
    tg.save({"w": tg.ones(2, 3)}, path)
    with zipfile.ZipFile(path) as zf:
        manifest, array = zf.read("manifest.json"), zf.read("arrays/0.npy")
    with zipfile.ZipFile(path, "w") as zf:  # as a GPU machine writes it
        zf.writestr("manifest.json", manifest.replace(b'"device": "cpu"', b'"device": "cuda:0"'))
        zf.writestr("arrays/0.npy", array)
    with pytest.raises(CheckpointError, match=r"gpu\.tg.*saved on cuda:0.*map_location='cpu'"):
        tg.load(path)
    assert tg.load(path, map_location="cpu")["w"].device == "cpu"
    with pytest.raises(RuntimeError, match="needs CuPy") as info:  # the caller asked for CUDA
        tg.load(path, map_location="cuda")
    assert not isinstance(info.value, CheckpointError)


def test_a_missing_file_raises_file_not_found(tmp_path):
    with pytest.raises(FileNotFoundError):
        tg.load(tmp_path / "nope.tg")


def test_manifest_and_array_disagreeing_is_an_error(tmp_path):
    path = tmp_path / "f.tg"
    tg.save({"w": tg.ones(2, 3)}, path)
    with zipfile.ZipFile(path) as zf:
        manifest, array = zf.read("manifest.json"), zf.read("arrays/0.npy")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("manifest.json", manifest.replace(b"[2, 3]", b"[3, 2]"))
        zf.writestr("arrays/0.npy", array)
    with pytest.raises(CheckpointError, match=r"f\.tg.*arrays/0\.npy holds <f4 \[2, 3\]"):
        tg.load(path)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("other.txt", "hi")
    with pytest.raises(CheckpointError, match="no manifest.json"):
        tg.load(path)


def test_wrong_keys_or_shapes_raise_naming_file_and_keys_before_changing_anything(tmp_path):
    path = _checkpoint(tmp_path)
    cases = [
        (nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3)), "size mismatch for 2.weight"),
        (nn.Sequential(nn.Linear(4, 8), nn.ReLU()), r"unexpected key\(s\) \['2.weight', '2.bias'"),
        (
            nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2), nn.Linear(2, 2)),
            r"missing key\(s\) \['3.weight', '3.bias'\]",
        ),
    ]
    for model, message in cases:
        opt = optim.Adam(model.parameters(), lr=0.01)
        before = _snapshot(model, opt)
        with pytest.raises(CheckpointError, match=rf"ckpt\.tg.*{message}"):
            load_checkpoint(path, model, opt)
        _assert_untouched(model, opt, before)

    # the model fits but the optimizer does not: the model must not be loaded either
    model, _ = _model_and_opt()
    params = list(model.parameters())
    for opt, message in [
        (optim.Adam(params[:2], lr=0.01), "parameter group 0 has 4 params in the file, 2"),
        (optim.Adam([{"params": params[:2]}, {"params": params[2:]}]), "1 parameter group"),
    ]:
        before = _snapshot(model, opt)
        with pytest.raises(CheckpointError, match=rf"ckpt\.tg.*{message}"):
            load_checkpoint(path, model, opt)
        _assert_untouched(model, opt, before)

    opt = optim.Adam(params, lr=0.01)
    sched = tsched.StepLR(opt, 2)
    before = _snapshot(model, opt)
    with pytest.raises(CheckpointError, match=r"ckpt\.tg.*no scheduler state"):
        load_checkpoint(path, model, opt, sched)
    _assert_untouched(model, opt, before)


def test_optimizer_state_shape_mismatch_is_caught_before_loading(tmp_path):
    model, opt = _model_and_opt()
    state = tg.load(_checkpoint(tmp_path))
    state["optimizer"]["state"][0]["exp_avg"] = tg.zeros(3)
    tg.save(state, tmp_path / "bad.tg")
    before = _snapshot(model, opt)
    with pytest.raises(CheckpointError, match=r"bad\.tg.*'exp_avg' of parameter 0 has shape"):
        load_checkpoint(tmp_path / "bad.tg", model, opt)
    _assert_untouched(model, opt, before)


def test_a_plain_save_file_is_not_a_checkpoint(tmp_path):
    tg.save({"model": {}}, tmp_path / "f.tg")
    with pytest.raises(CheckpointError, match="not a save_checkpoint file"):
        load_checkpoint(tmp_path / "f.tg", nn.Linear(1, 1))


# ----------------------------------------------------------------------------- exact resume

N, BATCH = 48, 12


def _setup(seed):
    tg.manual_seed(seed)
    model = nn.Sequential(
        nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.3), nn.BatchNorm1d(16), nn.Linear(16, 3)
    )
    opt = optim.Adam(model.parameters(), lr=0.01, weight_decay=1e-3)
    sched = tsched.StepLR(opt, step_size=1, gamma=0.7)
    return model, opt, sched


def _epoch(model, opt, sched, x, y):
    model.train()
    perm = tg.randperm(N)  # shuffling and dropout both draw from the default generator
    for i in range(0, N, BATCH):
        idx = perm[i : i + BATCH]
        opt.zero_grad()
        nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
        opt.step()
    sched.step()


def test_resume_is_bit_identical_to_training_that_never_stopped(tmp_path):
    rng = np.random.default_rng(0)
    x = tg.tensor(rng.standard_normal((N, 6)).astype(np.float32))
    y = tg.tensor(rng.integers(0, 3, N))

    model, opt, sched = _setup(0)
    for _ in range(4):
        _epoch(model, opt, sched, x, y)
    rng_state = tg.get_rng_state().numpy().copy()

    model_a, opt_a, sched_a = _setup(0)
    for _ in range(2):
        _epoch(model_a, opt_a, sched_a, x, y)
    save_checkpoint(tmp_path / "ckpt.tg", model_a, opt_a, sched_a, epoch=2, note="half way")
    del model_a, opt_a, sched_a

    model_b, opt_b, sched_b = _setup(123)  # fresh objects, other weights, other RNG state
    info = load_checkpoint(tmp_path / "ckpt.tg", model_b, opt_b, sched_b)
    assert info == {"epoch": 2, "note": "half way"}
    for _ in range(2):
        _epoch(model_b, opt_b, sched_b, x, y)

    for (k, v), (kb, vb) in zip(model.state_dict().items(), model_b.state_dict().items()):
        assert k == kb and v.dtype == vb.dtype
        np.testing.assert_array_equal(v.numpy(), vb.numpy(), err_msg=k)
    _same(opt.state_dict()["state"], opt_b.state_dict()["state"])
    assert opt.param_groups[0]["lr"] == opt_b.param_groups[0]["lr"]
    np.testing.assert_array_equal(tg.get_rng_state().numpy(), rng_state)


# ----------------------------------------------------------------------------- safetensors


def test_safetensors_written_by_tensorgrad_load_in_torch(tmp_path):
    from safetensors import safe_open
    from safetensors.torch import load_file

    state = {
        "w": tg.randn(3, 4),
        "i": tg.arange(5),
        "h": tg.randn(2).half(),
        "m": tg.tensor([True, False]),
        "s": tg.tensor(2.5),
        "t": tg.randn(4, 3).transpose(0, 1),
    }
    tg.save_safetensors(state, tmp_path / "w.safetensors", metadata={"epoch": "3"})
    loaded = load_file(tmp_path / "w.safetensors")
    assert sorted(loaded) == sorted(state)
    for k, v in state.items():
        np.testing.assert_array_equal(loaded[k].numpy(), v.numpy(), err_msg=k)
        assert loaded[k].shape == v.shape
    with safe_open(tmp_path / "w.safetensors", framework="numpy") as f:
        assert f.metadata() == {"epoch": "3"}


def test_safetensors_written_by_torch_load_in_tensorgrad(tmp_path):
    from safetensors.torch import save_file

    state = {"a": torch.randn(2, 3), "b": torch.arange(4), "c": torch.randn(3).double()}
    save_file(state, tmp_path / "t.safetensors")
    loaded = tg.load_safetensors(tmp_path / "t.safetensors")
    assert sorted(loaded) == sorted(state)
    for k, v in state.items():
        assert isinstance(loaded[k], tg.Tensor)
        np.testing.assert_array_equal(loaded[k].numpy(), v.numpy(), err_msg=k)


def test_linear_weights_move_between_tensorgrad_and_torch(tmp_path):
    from safetensors.torch import load_file, save_file

    tg_linear = nn.Linear(5, 3)
    tg.save_safetensors(tg_linear, tmp_path / "lin.safetensors")
    torch_linear = torch.nn.Linear(5, 3)
    torch_linear.load_state_dict(load_file(tmp_path / "lin.safetensors"))
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    with torch.no_grad():
        expected = torch_linear(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(tg_linear(tg.tensor(x)).detach().numpy(), expected, rtol=1e-6)

    save_file(torch.nn.Linear(5, 3).state_dict(), tmp_path / "back.safetensors")
    tg_linear.load_state_dict(tg.load_safetensors(tmp_path / "back.safetensors"))


def test_safetensors_errors(tmp_path):
    with pytest.raises(TypeError, match="metadata"):
        tg.save_safetensors({"w": tg.ones(1)}, tmp_path / "f", metadata={"epoch": 3})
    with pytest.raises(TypeError, match="'n': safetensors holds tensors"):
        tg.save_safetensors({"n": 3}, tmp_path / "f")
    assert not os.listdir(tmp_path)
    (tmp_path / "bad.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json")
    with pytest.raises(CheckpointError, match=r"bad\.safetensors.*not a readable safetensors"):
        tg.load_safetensors(tmp_path / "bad.safetensors")
