"""tensorgrad.datasets: Digits (offline), MNIST/FashionMNIST (IDX files made here), CharDataset."""

import gzip
import importlib.util
import sys

import numpy as np
import pytest

import tensorgrad as tg
from tensorgrad.data import DataLoader, default_collate
from tensorgrad.datasets import MNIST, CharDataset, Digits, FashionMNIST

needs_sklearn = pytest.mark.skipif(
    importlib.util.find_spec("sklearn") is None, reason="scikit-learn is not installed"
)

# --------------------------------------------------------------------------------------------
# Digits


@needs_sklearn
def test_digits_shapes_labels_and_range():
    ds = Digits()
    assert len(ds) == 1797
    image, label = ds[0]
    assert image.shape == (1, 8, 8) and image.dtype == tg.float32
    assert isinstance(label, int) and label == 0
    images, labels = next(iter(DataLoader(ds, batch_size=len(ds))))
    assert images.shape == (1797, 1, 8, 8) and labels.dtype == tg.int64
    x = images.numpy()
    assert x.min() == 0.0 and x.max() == 1.0
    assert sorted(set(labels.tolist())) == list(range(10))
    from sklearn.datasets import load_digits

    ref = load_digits()
    np.testing.assert_allclose(x.reshape(1797, 64), ref.data / 16.0, rtol=1e-6)
    np.testing.assert_array_equal(labels.numpy(), ref.target)


def test_digits_split_is_deterministic_and_disjoint():
    train, test = Digits("train"), Digits("test")
    assert len(train) + len(test) == 1797 and len(test) == round(0.2 * 1797)
    again = Digits(train=True)
    np.testing.assert_array_equal(train.data.numpy(), again.data.numpy())
    np.testing.assert_array_equal(Digits(train=False).targets.numpy(), test.targets.numpy())
    rows = {
        r.tobytes() + bytes([t]) for r, t in zip(Digits().data.numpy(), Digits().targets.numpy())
    }
    both = [(d.data.numpy(), d.targets.numpy()) for d in (train, test)]
    mine = [r.tobytes() + bytes([t]) for x, y in both for r, t in zip(x, y)]
    assert set(mine) == rows  # together they are the whole set
    other = Digits("test", seed=1)
    assert not np.array_equal(other.targets.numpy(), test.targets.numpy())
    assert len(Digits("test", test_fraction=0.5)) == round(0.5 * 1797)
    with pytest.raises(ValueError, match="split"):
        Digits("valid")


def test_digits_transform_takes_the_per_sample_path():
    ds = Digits(transform=lambda x: x * 2, target_transform=lambda y: y + 100)
    images, labels = next(iter(DataLoader(ds, batch_size=4)))
    assert float(images.max().item()) <= 2.0 and labels.tolist()[:4] == [100, 101, 102, 103]
    plain = Digits()
    fast = next(iter(DataLoader(plain, batch_size=5)))
    slow = default_collate([plain[i] for i in range(5)])
    for a, b in zip(fast, slow):
        assert a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_digits_needs_no_scikit_learn(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # `import sklearn` would fail
    assert len(Digits()) == 1797


@needs_sklearn
def test_the_shipped_digits_file_is_scikit_learns_byte_for_byte():
    from pathlib import Path

    from tensorgrad.datasets import DIGITS_FILE

    theirs = Path(importlib.util.find_spec("sklearn").origin).parent / "datasets" / "data"
    assert DIGITS_FILE.read_bytes() == (theirs / "digits.csv.gz").read_bytes()


# --------------------------------------------------------------------------------------------
# MNIST / FashionMNIST


def _idx(array, magic):
    dims = b"".join(int(d).to_bytes(4, "big") for d in array.shape)
    return magic.to_bytes(4, "big") + dims + array.astype(np.uint8).tobytes()


def _write_mnist(folder, n=7, prefix="train", gz=False, h=28):
    r = np.random.default_rng(0)
    images = r.integers(0, 256, (n, h, h), dtype=np.uint8)
    labels = r.integers(0, 10, n, dtype=np.uint8)
    for name, raw in [
        (f"{prefix}-images-idx3-ubyte", _idx(images, 0x803)),
        (f"{prefix}-labels-idx1-ubyte", _idx(labels, 0x801)),
    ]:
        if gz:
            (folder / f"{name}.gz").write_bytes(gzip.compress(raw))
        else:
            (folder / name).write_bytes(raw)
    return images, labels


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("cls", [MNIST, FashionMNIST])
def test_mnist_reads_idx_files(tmp_path, gz, cls):
    images, labels = _write_mnist(tmp_path, gz=gz)
    test_images, _ = _write_mnist(tmp_path, n=3, prefix="t10k", gz=gz)
    ds = cls(tmp_path)
    assert len(ds) == 7 and len(cls(tmp_path, train=False)) == 3
    x, y = ds[2]
    assert x.shape == (1, 28, 28) and x.dtype == tg.float32 and y == labels[2]
    np.testing.assert_allclose(x.numpy()[0], images[2] / 255.0, rtol=1e-6)
    assert ds.data.dtype == tg.uint8 and ds.targets.dtype == tg.int64
    bx, by = next(iter(DataLoader(ds, batch_size=7)))
    assert bx.shape == (7, 1, 28, 28) and by.tolist() == labels.tolist()
    np.testing.assert_allclose(bx.numpy()[:, 0], images / 255.0, rtol=1e-6)


def test_mnist_torchvision_layout(tmp_path):
    raw = tmp_path / "MNIST" / "raw"
    raw.mkdir(parents=True)
    _write_mnist(raw, n=4)
    assert len(MNIST(tmp_path)) == 4


def test_mnist_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        MNIST(tmp_path)
    _write_mnist(tmp_path)
    (tmp_path / "train-labels-idx1-ubyte").unlink()
    with pytest.raises(FileNotFoundError, match=r"missing train-labels-idx1-ubyte \(or .*\.gz\)"):
        MNIST(tmp_path)


def test_mnist_missing_folder_says_so_and_where_to_get_the_files(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"folder .*nope does not exist.*exdb/mnist"):
        MNIST(tmp_path / "nope")
    with pytest.raises(FileNotFoundError, match=r"does not exist.*zalandoresearch/fashion-mnist"):
        FashionMNIST(tmp_path / "nope")


def test_mnist_bad_magic_truncated_and_mismatched(tmp_path):
    _write_mnist(tmp_path)
    path = tmp_path / "train-images-idx3-ubyte"
    raw = path.read_bytes()
    path.write_bytes(b"\x00\x00\x08\x01" + raw[4:])
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte.*magic number 0x00000801"):
        MNIST(tmp_path)
    path.write_bytes(raw[:-10])
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte: truncated"):
        MNIST(tmp_path)
    path.write_bytes(raw[:6])
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte: truncated"):
        MNIST(tmp_path)
    path.unlink()
    (tmp_path / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(raw)[:-20])
    with pytest.raises(ValueError, match=r"train-images-idx3-ubyte.gz"):
        MNIST(tmp_path)
    (tmp_path / "train-images-idx3-ubyte.gz").unlink()
    path.write_bytes(raw)
    _write_mnist(tmp_path, n=5, prefix="train")
    path.write_bytes(raw)  # 7 images, 5 labels
    with pytest.raises(ValueError, match="7 images but 5 labels"):
        MNIST(tmp_path)


# --------------------------------------------------------------------------------------------
# CharDataset


def test_char_dataset_round_trip_and_targets():
    text = "hello world, hello tensors"
    ds = CharDataset(text, block_size=5)
    assert ds.itos == sorted(set(text)) and ds.vocab_size == len(set(text))
    assert all(ds.stoi[c] == i for i, c in enumerate(ds.itos))
    assert ds.decode(ds.encode(text)) == text
    assert len(ds) == len(text) - 5
    x, y = ds[3]
    assert x.dtype == y.dtype == tg.int64 and x.shape == y.shape == (5,)
    assert ds.decode(x) == text[3:8] and ds.decode(y) == text[4:9]
    last_x, last_y = ds[-1]
    assert ds.decode(last_y) == text[-5:]
    with pytest.raises(IndexError):
        ds[len(ds)]
    with pytest.raises(KeyError, match="'z'"):
        ds.encode("z")
    with pytest.raises(ValueError, match="block_size"):
        CharDataset("abc", 3)


def test_char_dataset_batches_equal_per_sample_collation():
    ds = CharDataset("the quick brown fox jumps over the lazy dog", block_size=8)
    loader = DataLoader(ds, batch_size=6, shuffle=True)
    seen = []
    for xb, yb in loader:
        assert xb.shape[1:] == (8,) and xb.dtype == tg.int64
        np.testing.assert_array_equal(xb.numpy()[:, 1:], yb.numpy()[:, :-1])
        seen.extend(ds.decode(row) for row in xb)
    expected = sorted(ds.decode(ds[i][0]) for i in range(len(ds)))
    assert sorted(seen) == expected
