"""tensorgrad.torch_format: torch.save files read without PyTorch's code and without running
their pickle, tg.save(format="torch") files that torch.load(weights_only=True) reads, crafted
pickles refused before they run, corrupt files reported as CheckpointError."""

import collections
import os
import pickle
import pickletools
import struct
import zipfile

import numpy as np
import pytest
import torch

import tensorgrad as tg
from tensorgrad import nn, optim
from tensorgrad.checkpoint import CheckpointError


class TinyGPT(torch.nn.Module):
    """Embeddings, LayerNorm, Linear layers and a head tied to the token embedding."""

    def __init__(self, vocab=11, dim=8, block=6):
        super().__init__()
        self.wte = torch.nn.Embedding(vocab, dim)
        self.wpe = torch.nn.Embedding(block, dim)
        self.ln_1 = torch.nn.LayerNorm(dim)
        self.attn = torch.nn.Linear(dim, 3 * dim)
        self.proj = torch.nn.Linear(dim, dim, bias=False)
        self.ln_f = torch.nn.LayerNorm(dim)
        self.head = torch.nn.Linear(dim, vocab, bias=False)
        self.head.weight = self.wte.weight
        self.register_buffer("mask", torch.tril(torch.ones(block, block, dtype=torch.bool)))


def _torch_state():
    torch.manual_seed(0)
    state = TinyGPT().state_dict()
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    state["extra.transposed"] = base.t()  # non-contiguous
    state["extra.base"] = base
    state["extra.view"] = base[1:3, 2:5]  # a view sharing base's storage, at an offset
    state["extra.half"] = torch.randn(3, 2).half()
    state["extra.double"] = torch.randn(5).double()
    state["extra.long"] = torch.arange(-3, 4)
    state["extra.bool"] = torch.tensor([True, False, True])
    state["extra.scalar"] = torch.tensor(2.5)
    state["extra.empty"] = torch.empty(0, 3)
    return state


def _assert_same_as_torch(ours, theirs, key=""):
    """tensorgrad object vs torch object: same structure, key types, values, dtypes, shapes."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, tg.Tensor), key
        assert isinstance(ours, nn.Parameter) == isinstance(theirs, torch.nn.Parameter), key
        assert ours.shape == tuple(theirs.shape), key
        assert str(ours.dtype).split(".")[1] == str(theirs.dtype).split(".")[1], key
        assert ours.requires_grad == theirs.requires_grad, key
        np.testing.assert_array_equal(ours.detach().numpy(), theirs.detach().numpy(), key)
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs), key
        assert list(ours) == list(theirs), key
        for k in theirs:
            assert type(next(o for o in ours if o == k)) is type(k), key
            _assert_same_as_torch(ours[k], theirs[k], f"{key}[{k!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), key
        for i, (a, b) in enumerate(zip(ours, theirs)):
            _assert_same_as_torch(a, b, f"{key}[{i}]")
    else:
        assert type(ours) is type(theirs) and ours == theirs, key


# ----------------------------------------------------------------------------- torch -> tg


def test_a_torch_state_dict_loads_with_values_dtypes_shapes_and_keys(tmp_path):
    state = _torch_state()
    torch.save(state, tmp_path / "gpt.pt")
    out = tg.load(tmp_path / "gpt.pt")
    _assert_same_as_torch(out, state)
    assert type(out) is collections.OrderedDict
    assert out._metadata[""] == {"version": 1}  # PyTorch's per-module versions, kept as they are


def test_tensors_that_shared_a_storage_in_torch_share_memory(tmp_path):
    state = _torch_state()
    torch.save(state, tmp_path / "gpt.pt")
    out = tg.load(tmp_path / "gpt.pt")
    base, view, transposed = out["extra.base"], out["extra.view"], out["extra.transposed"]
    assert np.shares_memory(base.array, view.array) and np.shares_memory(
        base.array, transposed.array
    )
    assert np.shares_memory(out["wte.weight"].array, out["head.weight"].array)  # tied weights
    base.array[1, 2] = -1.0  # as in PyTorch, a change shows through every view
    assert view.array[0, 0] == -1.0 and transposed.array[2, 1] == -1.0


def test_a_torch_optimizer_state_dict_loads_with_int_keys_and_nested_groups(tmp_path):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(), torch.nn.Linear(4, 2))
    opt = torch.optim.Adam(model.parameters(), lr=0.01, amsgrad=True)
    for _ in range(3):
        opt.zero_grad()
        model(torch.randn(5, 3)).pow(2).sum().backward()
        opt.step()
    torch.save(opt.state_dict(), tmp_path / "adam.pt")
    out = tg.load(tmp_path / "adam.pt")
    _assert_same_as_torch(out, opt.state_dict())
    assert sorted(out["state"]) == [0, 1, 2, 3] and out["param_groups"][0]["betas"] == (0.9, 0.999)


def test_torch_weights_drive_a_tensorgrad_model_to_the_same_outputs(tmp_path):
    torch.manual_seed(0)
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 3))
    torch.save(theirs.state_dict(), tmp_path / "mlp.pth")
    ours = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3))
    ours.load_state_dict(tg.load(tmp_path / "mlp.pth"))
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours(tg.tensor(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_parameters_tensors_requiring_grad_and_plain_values_load(tmp_path):
    obj = {
        "p": torch.nn.Parameter(torch.randn(2, 3)),
        "frozen": torch.nn.Parameter(torch.randn(2), requires_grad=False),
        "g": torch.ones(3, requires_grad=True),
        "nested": [(1, "two", 3.5, None, True), {"k": [torch.zeros(1)]}],
        "big": 2**70,
        "neg": -(2**40),
        "size": torch.Size([2, 3]),
        "dtype": torch.float16,
        "device": torch.device("cpu"),
        "set": {1, 2},
        "counter": collections.Counter("aab"),
        7: None,
    }
    torch.save(obj, tmp_path / "misc.pt")
    out = tg.load(tmp_path / "misc.pt")
    assert isinstance(out["p"], nn.Parameter) and out["p"].requires_grad and out["p"].is_leaf
    assert isinstance(out["frozen"], nn.Parameter) and not out["frozen"].requires_grad
    assert out["g"].requires_grad and out["g"].is_leaf and not isinstance(out["g"], nn.Parameter)
    _assert_same_as_torch(out["nested"], obj["nested"])
    assert out["big"] == 2**70 and out["neg"] == -(2**40) and out[7] is None
    assert out["size"] == (2, 3) and out["dtype"] is tg.float16 and out["device"] == "cpu"
    assert out["set"] == {1, 2} and out["counter"] == collections.Counter("aab")


@pytest.mark.parametrize(
    "make, name",
    [
        (lambda: torch.ones(2, dtype=torch.complex64), "complex64"),
        (lambda: torch.ones(2, dtype=torch.uint16), "uint16"),
        (lambda: torch.ones(2, dtype=torch.float8_e4m3fn), "float8_e4m3fn"),
        (lambda: torch.ones(3, 3).to_sparse(), "sparse"),
    ],
)
def test_dtypes_and_layouts_tensorgrad_lacks_are_a_clear_error(tmp_path, make, name):
    torch.save({"w": make()}, tmp_path / "odd.pt")
    with pytest.raises(CheckpointError, match=rf"odd\.pt.*holds.*{name}.*cannot represent"):
        tg.load(tmp_path / "odd.pt")


def test_map_location_moves_tensors_saved_on_cuda_to_the_cpu(tmp_path):
    path = tmp_path / "gpu.pt"
    tg.save({"w": tg.ones(2, 3)}, path, format="torch")
    _rewrite_pickle(path, lambda p: p.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0"))
    assert torch.load(path, map_location="cpu")["w"].shape == (2, 3)  # still a valid torch file
    if not tg.cuda.is_available():
        with pytest.raises(CheckpointError, match=r"gpu\.pt.*saved on cuda:0.*map_location='cpu'"):
            tg.load(path)
    out = tg.load(path, map_location="cpu")
    assert out["w"].device == "cpu"
    np.testing.assert_array_equal(out["w"].numpy(), np.ones((2, 3), np.float32))


def test_a_file_written_with_big_endian_storages_loads(tmp_path):
    path = tmp_path / "big.pt"
    torch.save({"w": torch.arange(6.0).reshape(2, 3), "i": torch.arange(3)}, path)
    with zipfile.ZipFile(path) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    prefix = next(n for n in entries if n.endswith("data.pkl"))[: -len("data.pkl")]
    entries[prefix + "byteorder"] = b"big"
    entries[prefix + "data/0"] = np.arange(6.0, dtype=">f4").tobytes()
    entries[prefix + "data/1"] = np.arange(3, dtype=">i8").tobytes()
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in entries.items():
            zf.writestr(n, data)
    out = tg.load(path)
    np.testing.assert_array_equal(out["w"].numpy(), np.arange(6.0, dtype=np.float32).reshape(2, 3))
    np.testing.assert_array_equal(out["i"].numpy(), np.arange(3))


# ----------------------------------------------------------------------------- tg -> torch


def _tg_state():
    tg.manual_seed(0)
    model = nn.Sequential(nn.Embedding(11, 8), nn.LayerNorm(8), nn.Linear(8, 11))
    state = model.state_dict()
    base = tg.arange(24.0).reshape(4, 6)
    state["extra.base"] = base
    state["extra.view"] = base[1:3, 2:5]
    state["extra.transposed"] = base.transpose(0, 1)
    state["extra.half"] = tg.randn(3, 2).half()
    state["extra.double"] = tg.randn(5).double()
    state["extra.long"] = tg.arange(-3, 4)
    state["extra.bool"] = tg.tensor([True, False, True])
    state["extra.scalar"] = tg.tensor(2.5)
    state["extra.empty"] = tg.zeros(0, 3)
    state["extra.param"] = nn.Parameter(tg.randn(2))
    state["extra.grad"] = tg.ones(2, requires_grad=True)
    return state


def _assert_torch_matches_tg(theirs, ours, key=""):
    if isinstance(ours, tg.Tensor):
        assert isinstance(theirs, torch.Tensor), key
        assert isinstance(theirs, torch.nn.Parameter) == isinstance(ours, nn.Parameter), key
        assert tuple(theirs.shape) == ours.shape and theirs.requires_grad == ours.requires_grad
        assert str(theirs.dtype).split(".")[1] == str(ours.dtype).split(".")[1], key
        np.testing.assert_array_equal(theirs.detach().numpy(), ours.detach().numpy(), key)
    elif isinstance(ours, dict):
        assert type(theirs) is type(ours) and list(theirs) == list(ours), key
        for k in ours:
            _assert_torch_matches_tg(theirs[k], ours[k], f"{key}[{k!r}]")
    elif isinstance(ours, (list, tuple)):
        assert type(theirs) is type(ours) and len(theirs) == len(ours), key
        for i, (a, b) in enumerate(zip(theirs, ours)):
            _assert_torch_matches_tg(a, b, f"{key}[{i}]")
    else:
        assert type(theirs) is type(ours) and theirs == ours, key


def test_torch_load_reads_a_tensorgrad_state_dict_with_weights_only(tmp_path):
    state = _tg_state()
    tg.save(state, tmp_path / "w.pt", format="torch")
    out = torch.load(tmp_path / "w.pt", weights_only=True)
    _assert_torch_matches_tg(out, state)
    # views keep their storage, offset and strides, as torch.save writes them
    assert out["extra.view"].untyped_storage().data_ptr() == out["extra.base"].data_ptr()
    assert out["extra.view"].storage_offset() == 8 and out["extra.view"].stride() == (6, 1)
    assert out["extra.transposed"].stride() == (1, 6)
    # and tensorgrad reads its own torch-format file back the same
    _assert_same_as_torch(tg.load(tmp_path / "w.pt"), out)


def test_torch_load_reads_a_tensorgrad_optimizer_state_dict(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    opt = optim.Adam(model.parameters(), lr=0.01, amsgrad=True)
    for _ in range(3):
        opt.zero_grad()
        model(tg.randn(5, 3)).pow(2).sum().backward()
        opt.step()
    state = opt.state_dict()
    tg.save(state, tmp_path / "adam.pt", format="torch")
    out = torch.load(tmp_path / "adam.pt", weights_only=True)
    _assert_torch_matches_tg(out, state)
    assert sorted(out["state"]) == [0, 1, 2, 3]


def test_tensorgrad_weights_load_into_the_same_torch_architecture(tmp_path):
    ours = nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3))
    tg.save(ours.state_dict(), tmp_path / "mlp.pt", format="torch")
    theirs = torch.nn.Sequential(torch.nn.Linear(5, 7), torch.nn.ReLU(), torch.nn.Linear(7, 3))
    theirs.load_state_dict(torch.load(tmp_path / "mlp.pt"))
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    with torch.no_grad():
        expected = theirs(torch.from_numpy(x)).numpy()
    np.testing.assert_allclose(ours(tg.tensor(x)).detach().numpy(), expected, rtol=1e-5, atol=1e-6)


def test_the_file_has_torchs_layout_aligned_storages_and_only_weights_only_globals(tmp_path):
    path = tmp_path / "w.pt"
    tg.save(
        {"a": tg.ones(3), "b": nn.Parameter(tg.zeros(2, 2)), "c": [tg.float16]},
        path,
        format="torch",
    )
    data = path.read_bytes()
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        names = [i.filename for i in infos]
        assert names == [
            "archive/data.pkl", "archive/.format_version", "archive/.storage_alignment",
            "archive/byteorder", "archive/data/0", "archive/data/1", "archive/version",
            "archive/.data/serialization_id",
        ]  # fmt: skip
        assert zf.read("archive/version") == b"3\n" and zf.read("archive/byteorder") == b"little"
        pkl = zf.read("archive/data.pkl")
    for info in infos:
        assert info.compress_type == zipfile.ZIP_STORED
        name_len, extra_len = struct.unpack(
            "<HH", data[info.header_offset + 26 : info.header_offset + 30]
        )
        assert (info.header_offset + 30 + name_len + extra_len) % 64 == 0, info.filename
    ops = list(pickletools.genops(pkl))
    assert ops[0][0].name == "PROTO" and ops[0][1] == 2
    globals_ = {arg for op, arg, _ in ops if op.name == "GLOBAL"}
    assert globals_ == {
        "collections OrderedDict", "torch._utils _rebuild_tensor_v2", "torch FloatStorage",
        "torch._utils _rebuild_parameter", "torch float16",
    }  # fmt: skip
    torch.load(path, weights_only=True, mmap=True)  # mmap needs the 64-byte alignment


def test_a_shared_tensor_is_written_once_and_loads_as_one_object(tmp_path):
    w = nn.Parameter(tg.randn(3, 2))
    tg.save({"a": w, "b": w}, tmp_path / "tied.pt", format="torch")
    theirs = torch.load(tmp_path / "tied.pt")
    assert theirs["a"] is theirs["b"]
    ours = tg.load(tmp_path / "tied.pt")
    assert ours["a"] is ours["b"]


@pytest.mark.parametrize(
    "obj, message",
    [
        (
            {"param_groups": [{"foo": np.zeros(2)}]},
            "obj['param_groups'][0]['foo']: cannot save a ndarray",
        ),
        ([1, object()], "obj[1]: cannot save a object"),
        ({"f": len}, "obj['f']: cannot save a builtin_function_or_method"),
        ({"m": nn.Linear(2, 2)}, "obj['m']: cannot save a Linear"),
        ({"s": np.float32(1)}, "obj['s']: cannot save a float32"),
    ],
)
def test_what_torch_load_could_not_read_raises_type_error_naming_the_path(tmp_path, obj, message):
    with pytest.raises(TypeError, match=rf"{__import__('re').escape(message)} in format='torch'"):
        tg.save(obj, tmp_path / "f.pt", format="torch")
    assert not os.listdir(tmp_path)


def test_an_unknown_format_is_a_value_error(tmp_path):
    with pytest.raises(ValueError, match="format must be 'tensorgrad' or 'torch'"):
        tg.save({}, tmp_path / "f", format="pickle")


# ----------------------------------------------------------------------------- hostile files


class _Payload:
    """Unpickling this calls ``fn(*args)``, which would create the marker."""

    def __init__(self, fn, *args):
        self.fn, self.args = fn, args

    def __reduce__(self):
        return (self.fn, self.args)


def _payloads(marker):
    return {
        "os.system": _Payload(os.system, f"touch {marker}"),
        "builtins.eval": _Payload(eval, f"open({str(marker)!r}, 'w')"),
        "builtins.exec": _Payload(exec, f"open({str(marker)!r}, 'w')"),
        "open": _Payload(open, str(marker), "w"),
        "os.mkdir": _Payload(os.mkdir, str(marker)),
    }


def _torch_zip(path, data_pkl: bytes):
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("archive/data.pkl", data_pkl)
        zf.writestr("archive/byteorder", "little")
        zf.writestr("archive/version", "3\n")


@pytest.mark.parametrize("protocol", [2, pickle.HIGHEST_PROTOCOL])
@pytest.mark.parametrize(
    "kind", ["os.system", "builtins.eval", "builtins.exec", "open", "os.mkdir"]
)
def test_a_crafted_reduce_payload_is_refused_and_never_runs(tmp_path, kind, protocol):
    marker = tmp_path / "pwned"
    payload = _payloads(marker)[kind]
    forbidden = f"{payload.fn.__module__}.{payload.fn.__name__}"  # posix.system, io.open, ...
    path = tmp_path / "evil.pt"
    _torch_zip(path, pickle.dumps({"step": 1, "x": payload}, protocol=protocol))
    with pytest.raises(CheckpointError, match=rf"evil\.pt.*{forbidden}") as info:
        tg.load(path)
    assert "nothing" in str(info.value) and "run" in str(info.value)
    assert not marker.exists()
    # an allow-list never opens os/posix/sys/nt, and an allowed tensor record does not either
    with tg.serialization.safe_globals([payload.fn]):
        if payload.fn.__module__ in ("posix", "nt", "os"):
            with pytest.raises(CheckpointError, match="module is ever allowed"):
                tg.load(path)
    assert not marker.exists()


def test_a_payload_inside_a_tensor_record_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "w.pt"
    tg.save({"w": tg.ones(2)}, path, format="torch")
    evil = pickle.dumps(_Payload(eval, f"open({str(marker)!r}, 'w')"), protocol=2)[2:-1]
    # the tensor's requires_grad argument (NEWFALSE) replaced by the payload
    _rewrite_pickle(path, lambda p: p.replace(b"\x89", evil, 1))
    with pytest.raises(CheckpointError, match=r"w\.pt.*builtins\.eval"):
        tg.load(path)
    assert not marker.exists()


def test_a_legacy_torch_pickle_file_is_refused_unread(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "legacy.pt"
    torch.save({"w": torch.ones(2)}, path, _use_new_zipfile_serialization=False)
    with pytest.raises(CheckpointError, match=r"legacy\.pt.*pickle file"):
        tg.load(path)
    path.write_bytes(pickle.dumps(_payloads(marker)["open"]))
    with pytest.raises(CheckpointError, match=r"legacy\.pt.*pickle file"):
        tg.load(path, weights_only=False)  # a bare pickle, even when trusted
    assert not marker.exists()


def test_weights_only_false_loads_other_objects_of_a_trusted_torch_file(tmp_path):
    import argparse

    obj = {"args": argparse.Namespace(lr=0.1), "w": torch.arange(3.0)}
    torch.save(obj, tmp_path / "run.pt")
    with pytest.raises(CheckpointError, match=r"run\.pt.*argparse\.Namespace.*add_safe_globals"):
        tg.load(tmp_path / "run.pt")
    out = tg.load(tmp_path / "run.pt", weights_only=False)
    assert out["args"].lr == 0.1 and isinstance(out["w"], tg.Tensor)
    with tg.serialization.safe_globals([argparse.Namespace]):
        assert tg.load(tmp_path / "run.pt")["args"].lr == 0.1


def test_a_weights_only_refusal_is_an_unpickling_error_as_pytorchs(tmp_path):
    # scripts catch pickle.UnpicklingError from torch.load(path) (weights_only=True by default)
    # to load a whole saved model again with weights_only=False
    torch.save(torch.nn.Linear(2, 3), tmp_path / "model.pt")
    for load in (torch.load, tg.load):
        with pytest.raises(pickle.UnpicklingError):
            load(tmp_path / "model.pt")
    with pytest.raises(CheckpointError, match=r"model\.pt.*torch\.nn"):
        tg.load(tmp_path / "model.pt")
    assert tuple(tg.load(tmp_path / "model.pt", weights_only=False).weight.shape) == (3, 2)


# ----------------------------------------------------------------------------- corrupt files


def _rewrite_pickle(path, change):
    with zipfile.ZipFile(path) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    name = next(n for n in entries if n.endswith("data.pkl"))
    entries[name] = change(entries[name])
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in entries.items():
            zf.writestr(n, data)


def _drop(path, suffix):
    with zipfile.ZipFile(path) as zf:
        entries = {n: zf.read(n) for n in zf.namelist() if not n.endswith(suffix)}
    with zipfile.ZipFile(path, "w") as zf:
        for n, data in entries.items():
            zf.writestr(n, data)


def _replace_entry(path, suffix, data):
    with zipfile.ZipFile(path) as zf:
        entries = {n: zf.read(n) for n in zf.namelist()}
    entries[next(n for n in entries if n.endswith(suffix))] = data
    with zipfile.ZipFile(path, "w") as zf:
        for n, d in entries.items():
            zf.writestr(n, d)


@pytest.mark.parametrize(
    "damage, message",
    [
        ("truncate", "truncated or corrupt"),
        ("flip_storage_byte", "corrupt.*CRC"),
        ("missing_storage", "corrupt.*KeyError"),
        ("short_storage", "corrupt.*data/0 holds 8 bytes"),
        ("overrun", "corrupt.*overruns its storage"),
        ("garbage_pickle", "corrupt"),
        ("truncated_pickle", "corrupt"),
        ("not_a_storage", "corrupt.*not a storage"),
        ("bad_byteorder", "corrupt.*byteorder"),
        ("torchscript", "TorchScript"),
    ],
)
def test_a_corrupt_torch_file_raises_checkpoint_error_naming_it(tmp_path, damage, message):
    path = tmp_path / "bad.pt"
    torch.save({"w": torch.arange(6.0).reshape(2, 3)}, path)
    if damage == "truncate":
        path.write_bytes(path.read_bytes()[:-30])
    elif damage == "flip_storage_byte":
        with zipfile.ZipFile(path) as zf:
            info = next(i for i in zf.infolist() if i.filename.endswith("data/0"))
        data = bytearray(path.read_bytes())
        name_len, extra_len = struct.unpack(
            "<HH", data[info.header_offset + 26 : info.header_offset + 30]
        )
        data[info.header_offset + 30 + name_len + extra_len + 5] ^= 0x40
        path.write_bytes(bytes(data))
    elif damage == "missing_storage":
        _drop(path, "data/0")
    elif damage == "short_storage":
        _replace_entry(path, "data/0", b"\0" * 8)
    elif damage == "overrun":  # size (2, 3) -> (2, 9): beyond the 6 elements stored
        _rewrite_pickle(path, lambda p: p.replace(b"K\x02K\x03\x86", b"K\x02K\x09\x86", 1))
    elif damage == "garbage_pickle":
        _rewrite_pickle(path, lambda p: b"\x80\x02garbage")
    elif damage == "truncated_pickle":
        _rewrite_pickle(path, lambda p: p[: len(p) // 2])
    elif damage == "not_a_storage":
        _rewrite_pickle(
            path, lambda p: p.replace(b"X\x07\x00\x00\x00storage", b"X\x07\x00\x00\x00tensors")
        )
    elif damage == "bad_byteorder":
        _replace_entry(path, "byteorder", b"middle")
    else:
        with zipfile.ZipFile(path, "a") as zf:
            prefix = zf.namelist()[0].split("/")[0]
            zf.writestr(f"{prefix}/constants.pkl", b"")
    with pytest.raises(CheckpointError, match=rf"bad\.pt.*{message}"):
        tg.load(path)


def test_every_single_byte_flip_loads_the_original_or_raises_checkpoint_error(tmp_path):
    path, damaged = tmp_path / "small.pt", tmp_path / "damaged.pt"
    tg.save({"w": tg.arange(6.0).reshape(2, 3), "step": 3}, path, format="torch")
    data = path.read_bytes()
    outcomes = collections.Counter()
    for i in range(len(data)):
        for mask in (0x01, 0x80, 0xFF):
            damaged.write_bytes(data[:i] + bytes([data[i] ^ mask]) + data[i + 1 :])
            try:
                out = tg.load(damaged)
            except CheckpointError as e:
                assert "damaged.pt" in str(e)
                outcomes["error"] += 1
                continue
            assert out["step"] == 3
            np.testing.assert_array_equal(out["w"].numpy(), np.arange(6.0).reshape(2, 3))
            outcomes["same"] += 1
    assert outcomes["error"] > 0 and outcomes["same"] > 0, outcomes


def test_the_whole_file_is_read_from_memory_not_from_torch(tmp_path):
    # tensorgrad's reader never imports torch: run it in a process where torch cannot load
    import subprocess
    import sys
    import textwrap

    torch.save({"w": torch.arange(3.0)}, tmp_path / "w.pt")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {root!r})
        sys.modules["torch"] = None  # any import of torch now fails
        import tensorgrad as tg
        print(tg.load({str(tmp_path / "w.pt")!r})["w"].numpy().tolist())
    """)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[0.0, 1.0, 2.0]"
