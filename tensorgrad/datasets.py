"""Datasets: ``Digits`` (offline), ``MNIST``/``FashionMNIST`` (IDX files), ``CharDataset``.

Image datasets return ``(image, label)`` with ``image`` a float32 tensor of shape ``(1, H, W)``
scaled to ``[0, 1]`` (what ``ToTensor()`` gives in torchvision) and ``label`` a Python int, so a
``DataLoader`` batch is ``[float32 (B, 1, H, W), int64 (B,)]``. With no transforms the loader
gathers a whole batch with one index per array (no per-sample Python loop).
"""

from __future__ import annotations

import gzip
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np

from .data import Dataset
from .tensor import Tensor

__all__ = ["Digits", "MNIST", "FashionMNIST", "CharDataset"]


class _ImageDataset(Dataset):
    """``images`` (N, H, W) uint8 or float, ``targets`` (N,) int64; ``scale`` maps to [0, 1]."""

    scale = 1.0

    def __init__(self, images: np.ndarray, targets: np.ndarray, transform, target_transform):
        self._images = images
        self._targets = targets
        self.transform = transform
        self.target_transform = target_transform

    @property
    def data(self) -> Tensor:
        return Tensor._make(self._images)

    @property
    def targets(self) -> Tensor:
        return Tensor._make(self._targets)

    def __len__(self) -> int:
        return len(self._targets)

    def _image(self, index):
        return self._images[index, None].astype(np.float32) * np.float32(self.scale)

    def __getitem__(self, index: int):
        image, label = Tensor._make(self._image(index)), int(self._targets[index])
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            label = self.target_transform(label)
        return image, label

    def _fetch_batch(self, indices: np.ndarray):
        """``default_collate([self[i] for i in indices])`` in one go (None with transforms)."""
        if type(self).__getitem__ is not _ImageDataset.__getitem__:
            return None
        if self.transform is not None or self.target_transform is not None:
            return None
        images = self._images[indices][:, None].astype(np.float32) * np.float32(self.scale)
        return [Tensor._make(images), Tensor._make(self._targets[indices])]


# --------------------------------------------------------------------------------------------
# Digits


DIGITS_FILE = Path(__file__).parent / "data_files" / "digits.csv.gz"  # see its README.md


class Digits(_ImageDataset):
    """The 1,797 handwritten digits of UCI's "Optical Recognition of Handwritten Digits" (8x8,
    grey levels 0..16; scikit-learn's ``load_digits``), read from the 57 KB file that ships with
    tensorgrad: no download, no network, nothing to install.

    ``split``: ``'all'`` (1,797 samples in file order), ``'train'`` or ``'test'``. The split is a
    fixed random permutation drawn from ``seed`` (its own NumPy generator, so tensorgrad's RNG
    is untouched): the last ``round(test_fraction * 1797)`` samples of it are the test set (359
    with the defaults), the rest the training set; the same arguments always give the same split.
    ``train=True``/``False`` is a torchvision-style alias for ``split='train'``/``'test'``.
    Images are float32 ``(1, 8, 8)`` in ``[0, 1]`` (value / 16); labels are ints 0..9.
    """

    scale = 1.0 / 16.0
    classes = [str(i) for i in range(10)]

    def __init__(
        self,
        split: str = "all",
        *,
        train: bool | None = None,
        test_fraction: float = 0.2,
        seed: int = 0,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
    ) -> None:
        if train is not None:
            split = "train" if train else "test"
        if split not in ("all", "train", "test"):
            raise ValueError(f"Digits: split must be 'all', 'train' or 'test', got {split!r}")
        if not 0 < test_fraction < 1:
            raise ValueError(f"Digits: test_fraction must be in (0, 1), got {test_fraction}")
        table = np.loadtxt(DIGITS_FILE, delimiter=",", dtype=np.float32)
        images = table[:, :-1].reshape(-1, 8, 8)
        targets = table[:, -1].astype(np.int64)
        if split != "all":
            order = np.random.Generator(np.random.PCG64(seed)).permutation(len(targets))
            n_test = round(test_fraction * len(targets))
            keep = order[len(order) - n_test :] if split == "test" else order[: len(order) - n_test]
            images, targets = images[keep], targets[keep]
        self.split = split
        super().__init__(np.ascontiguousarray(images), targets, transform, target_transform)


# --------------------------------------------------------------------------------------------
# MNIST / FashionMNIST

_IDX_IMAGES = 0x00000803  # unsigned byte, 3 dimensions
_IDX_LABELS = 0x00000801  # unsigned byte, 1 dimension


def _read_idx(path: Path, magic: int) -> np.ndarray:
    """An IDX file (optionally gzipped) as a uint8 array, checking the magic number and size."""
    try:
        with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as f:
            raw = f.read()
    except (OSError, EOFError) as e:  # a broken gzip stream
        raise ValueError(f"{path}: cannot read the file ({e})") from None
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(raw) < header:
        raise ValueError(f"{path}: truncated IDX file ({len(raw)} bytes, header needs {header})")
    found = int.from_bytes(raw[:4], "big")
    if found != magic:
        raise ValueError(
            f"{path}: not an IDX {'image' if ndim == 3 else 'label'} file: magic number "
            f"0x{found:08x}, expected 0x{magic:08x}"
        )
    shape = tuple(int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape))
    if len(raw) != expected:
        what = "truncated" if len(raw) < expected else "has trailing bytes"
        raise ValueError(
            f"{path}: {what}: the header says shape {shape} ({expected} bytes in all), "
            f"the file has {len(raw)} bytes"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(shape)


class MNIST(_ImageDataset):
    """MNIST from the standard IDX files in ``root`` (no download).

    Looks for ``train-images-idx3-ubyte``/``train-labels-idx1-ubyte`` (``train=True``) or
    ``t10k-images-idx3-ubyte``/``t10k-labels-idx1-ubyte``, each also as ``.gz``, in ``root``,
    then in torchvision's layout ``root/<ClassName>/raw``. Images are float32 ``(1, 28, 28)`` in
    ``[0, 1]``; ``data`` is the uint8 ``(N, 28, 28)`` tensor and ``targets`` int64, as in
    torchvision.
    """

    scale = 1.0 / 255.0
    source = (
        "get them from the MNIST page (yann.lecun.com/exdb/mnist) or torchvision's mirror "
        "(ossci-datasets.s3.amazonaws.com/mnist)"
    )
    classes = [
        f"{i} - {w}"
        for i, w in enumerate("zero one two three four five six seven eight nine".split())
    ]

    def __init__(
        self,
        root: str | os.PathLike,
        train: bool = True,
        transform: Callable | None = None,
        target_transform: Callable | None = None,
    ) -> None:
        self.root = Path(root)
        self.train = train
        prefix = "train" if train else "t10k"
        images = _read_idx(self._find(f"{prefix}-images-idx3-ubyte"), _IDX_IMAGES)
        labels = _read_idx(self._find(f"{prefix}-labels-idx1-ubyte"), _IDX_LABELS)
        if len(images) != len(labels):
            raise ValueError(
                f"{type(self).__name__}: {len(images)} images but {len(labels)} labels "
                f"in {self.root}"
            )
        super().__init__(images, labels.astype(np.int64), transform, target_transform)

    def _find(self, name: str) -> Path:
        folders = [self.root, self.root / type(self).__name__ / "raw"]
        for folder in folders:
            for candidate in (folder / name, folder / f"{name}.gz"):
                if candidate.is_file():
                    return candidate
        if self.root.is_dir():
            problem = f"missing {name} (or {name}.gz) in " + " and ".join(map(str, folders))
        else:
            problem = f"the folder {self.root} does not exist"
        raise FileNotFoundError(
            f"{type(self).__name__}: {problem}. It reads the four IDX files "
            "train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and "
            f"t10k-labels-idx1-ubyte (or their .gz) and downloads nothing: {self.source}"
        )


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: same IDX files and layout as ``MNIST``."""

    source = "get them from github.com/zalandoresearch/fashion-mnist (its data/fashion folder)"

    classes = [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ]  # fmt: skip


# --------------------------------------------------------------------------------------------
# text


class CharDataset(Dataset):
    """Character-level language modelling on ``text``.

    The vocabulary is the sorted unique characters (``stoi``/``itos`` map between them and ids).
    Sample ``i`` is ``(x, y)``: int64 tensors of length ``block_size`` with
    ``x = ids[i : i + block_size]`` and ``y = ids[i + 1 : i + block_size + 1]`` (the next
    character at every position), so there are ``len(text) - block_size`` samples.
    """

    def __init__(self, text: str, block_size: int) -> None:
        if not isinstance(block_size, int) or block_size < 1:
            raise ValueError(f"CharDataset: block_size must be a positive int, got {block_size!r}")
        if len(text) <= block_size:
            raise ValueError(
                f"CharDataset: the text has {len(text)} characters; it needs more than "
                f"block_size={block_size}"
            )
        self.block_size = block_size
        self.itos = sorted(set(text))
        self.stoi = {c: i for i, c in enumerate(self.itos)}
        self.data = self.encode(text)
        self._window = np.arange(block_size + 1)

    @property
    def vocab_size(self) -> int:
        return len(self.itos)

    def encode(self, text: str) -> np.ndarray:
        """The int64 ids of ``text`` (KeyError naming a character that is not in the vocabulary)."""
        try:
            return np.fromiter((self.stoi[c] for c in text), dtype=np.int64, count=len(text))
        except KeyError as e:
            raise KeyError(
                f"CharDataset: character {e.args[0]!r} is not in the vocabulary"
            ) from None

    def decode(self, ids) -> str:
        """The text of a sequence of ids (a list, an array or a tensor)."""
        if isinstance(ids, Tensor):
            ids = ids.tolist()
        return "".join(self.itos[int(i)] for i in np.asarray(ids).reshape(-1))

    def __len__(self) -> int:
        return len(self.data) - self.block_size

    def __getitem__(self, index: int):
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(f"CharDataset: index {index} out of range for {len(self)} samples")
        chunk = self.data[index : index + self.block_size + 1]
        return Tensor._make(chunk[:-1].copy()), Tensor._make(chunk[1:].copy())

    def _fetch_batch(self, indices: np.ndarray):
        if type(self).__getitem__ is not CharDataset.__getitem__:
            return None
        if len(indices) and (indices.min() < -len(self) or indices.max() >= len(self)):
            raise IndexError(f"CharDataset: index out of range for {len(self)} samples")
        chunks = self.data[(indices % len(self))[:, None] + self._window]
        return [Tensor._make(chunks[:, :-1].copy()), Tensor._make(chunks[:, 1:].copy())]
