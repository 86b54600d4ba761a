"""Random numbers: ``Generator`` (PyTorch's CPU stream, ``random_stream.Stream``) and the
process-wide default generator.

``tg.manual_seed(s)`` reseeds the default generator, so every draw that uses it (creation ops,
dropout, DataLoader shuffling) repeats exactly, and draws what ``torch.manual_seed(s)`` makes
PyTorch draw. ``get_state``/``set_state`` give the state as PyTorch's 5056-byte uint8 tensor
(its ``CPUGeneratorImplState`` layout), so a state saved by either library loads in the other.
"""

from __future__ import annotations

import contextlib
import struct
import warnings

import numpy as np

from . import backend
from .backend import device_of, is_float, np_finfo, to_device, xp_of
from .random_stream import Stream

DEFAULT_SEED = 67280421310721  # PyTorch's default seed: runs repeat even without manual_seed
# PyTorch's CPUGeneratorImplState: initial seed, MT19937's left and seeded, next, its 624 words
# as uint64, three doubles (the middle one: the cached normal), its valid flag, a cached
# float32 normal and its flag; little-endian with C padding.
_STATE = struct.Struct("<QiiQ624Qdddi4xf?3x")
_PCG64_STATE_BYTES = 48  # tensorgrad's states before it drew PyTorch's stream


class Generator:
    """A source of random draws; ``tg.Generator().manual_seed(0)`` makes a private one."""

    def __init__(self, device: str = "cpu") -> None:
        self.device = device
        self.rng = Stream(DEFAULT_SEED)
        self._seed = DEFAULT_SEED

    def manual_seed(self, seed: int) -> Generator:
        """Seed with an integer in [-2^63, 2^64); a negative one is kept as its 64-bit two's
        complement (``initial_seed()`` of -1 is 2^64 - 1), as PyTorch's uint64 seed."""
        seed = int(seed)
        if not -(1 << 63) <= seed < 1 << 64:
            raise ValueError(f"manual_seed: {seed} is outside [-2^63, 2^64) (Overflow)")
        seed &= (1 << 64) - 1
        self._seed = seed
        self.rng.seed(seed)
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; returns the new seed."""
        seed = int(np.random.SeedSequence().entropy) & ((1 << 63) - 1)
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        """PyTorch's layout: MT19937's position is kept as ATen's ``left`` (draws until the
        next regeneration, plus 1) and ``next`` (the next word's index)."""
        from .tensor import Tensor

        state = self.rng.bit_generator.state["state"]
        key, pos = state["key"], int(state["pos"])
        fresh = pos == 624 and np.array_equal(key, self.rng.seeded_key)
        cached = self.rng.normal_cache
        raw = _STATE.pack(
            self._seed & ((1 << 64) - 1),
            625 - pos,
            1,
            0 if fresh else pos,
            *key.tolist(),
            0.0,
            0.0 if cached is None else cached,
            0.0,
            cached is not None,
            0.0,
            False,
        )
        return Tensor._from_data(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, state) -> Generator:
        raw = np.asarray(getattr(state, "array", state), dtype=np.uint8).tobytes()
        if len(raw) == _PCG64_STATE_BYTES:
            seed = int.from_bytes(raw[40:48], "little", signed=True)
            warnings.warn(
                "this random state was saved by an older tensorgrad (PCG64), which drew other "
                f"numbers than PyTorch; the generator restarts from its seed {seed} instead",
                stacklevel=2,
            )
            return self.manual_seed(seed)
        if len(raw) != _STATE.size:
            raise RuntimeError(
                f"Expected a CPUGeneratorImplState of size {_STATE.size} but found the input "
                f"RNG state size to be {len(raw)} (bytes)"
            )
        seed, left, _, _, *rest = _STATE.unpack(raw)
        key, (_, normal, _, normal_valid, _, _) = rest[:624], rest[624:]
        if not 1 <= left <= 624:
            raise RuntimeError(f"The random state's 'left' is {left}; it must be in [1, 624]")
        self.rng.bit_generator.state = {
            "bit_generator": "MT19937",
            "state": {"key": np.array(key, dtype=np.uint32), "pos": 625 - left},
        }
        self.rng.normal_cache = normal if normal_valid else None
        self._seed = seed
        return self


default_generator = Generator()


def manual_seed(seed: int) -> Generator:
    """Seed the default generator (and so every random op that is not given its own)."""
    return default_generator.manual_seed(seed)


def seed() -> int:
    return default_generator.seed()


def initial_seed() -> int:
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(state) -> None:
    default_generator.set_state(state)


@contextlib.contextmanager
def fork_rng(devices=None, enabled: bool = True, _caller="fork_rng", _devices_kw="devices",
             device_type: str = "cuda"):  # fmt: skip
    """Run the block on a fork of the default generator: its state is saved on entry and put
    back on exit, so draws inside leave the stream outside as it was (PyTorch's
    ``torch.random.fork_rng``; one generator serves every device here, so ``devices`` has
    nothing more to save)."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


def rng(generator: Generator | None = None) -> Stream:
    """The stream of ``generator`` (the default generator's when None)."""
    return (generator or default_generator).rng


# ---------------------------------------------------------------------- samplers on arrays
# Every draw is made on the CPU generator and then moved to the array's device, so a seed gives
# the same numbers on every device; the arithmetic after the draw runs where the array lives.


def draw(sample, device, generator: Generator | None = None):
    """``sample(stream)`` (a host array drawn from the generator's stream) moved to ``device``."""
    return to_device(sample(rng(generator)), device)


def draw_like(sample, generator, *arrays):
    """``sample(stream, *host copies of arrays)`` in the first array's dtype and on its device:
    the draws whose parameters are arrays (distributions, ``poisson``, ``binomial``), as one
    function, so that tg.compile's replay draws again from the replay's arrays."""
    out = sample(rng(generator), *[backend.to_numpy(a) for a in arrays])
    return to_device(np.asarray(out, dtype=arrays[0].dtype), device_of(arrays[0]))


def bernoulli(p, shape: tuple, dtype, device, generator: Generator | None = None):
    """An array of 0/1 in ``dtype``: 1 with probability ``p`` (a number, or an array on
    ``device`` that broadcasts to ``shape``). ``u < p`` with u ~ U[0, 1) is 1 with
    probability p, and never for p = 0 or always for p = 1. As PyTorch, u is float64 for a
    number or float64 probabilities, else float32 (one 32-bit word each)."""
    if backend.is_array(p):
        if not bool(xp_of(p).all((p >= 0) & (p <= 1))):
            raise RuntimeError("bernoulli expects all probabilities p to be in [0, 1]")
        work = np.float64 if p.dtype == np.float64 else np.float32
        u = draw(lambda r: r.random(shape, work), device, generator)
        return (u < p.astype(work)).astype(dtype)
    if not 0 <= p <= 1:
        raise RuntimeError(f"bernoulli_ expects p to be in [0, 1], but got p={p}")
    u = draw(lambda r: r.random(shape), device, generator)
    return (u < p).astype(dtype)


def multinomial(weights, num_samples: int, replacement: bool, generator=None):
    """int64 category indices drawn from each row of ``weights`` (a 1-D or 2-D NumPy/CuPy
    array of non-negative, unnormalised weights): shape ``weights.shape[:-1] + (num_samples,)``.
    See ``Tensor.multinomial``."""
    if weights.ndim not in (1, 2):
        raise RuntimeError(f"multinomial: prob_dist must be 1 or 2 dim, got {weights.ndim}")
    if not is_float(weights.dtype):
        raise RuntimeError(
            f"multinomial only supports floating-point dtypes for input, got: {weights.dtype}"
        )
    if num_samples <= 0:
        raise RuntimeError(f"multinomial: cannot sample n_sample <= 0 samples, got {num_samples}")
    if not replacement and num_samples > weights.shape[-1]:
        raise RuntimeError(
            f"multinomial: cannot sample n_sample ({num_samples}) > "
            f"prob_dist.size(-1) ({weights.shape[-1]}) samples without replacement"
        )
    xp, device = xp_of(weights), device_of(weights)
    w = weights.reshape(-1, weights.shape[-1])
    rows, n = w.shape
    out_shape = weights.shape[:-1] + (num_samples,)
    if rows == 0:
        return xp.zeros(out_shape, np.int64)
    if not bool(xp.all(xp.isfinite(w) & (w >= 0))):
        raise RuntimeError(
            "multinomial: probability tensor contains either `inf`, `nan` or element < 0"
        )
    positive = int((w > 0).sum(axis=1).min())  # the fewest positive weights in a row
    if positive == 0:
        raise RuntimeError(
            "multinomial: invalid multinomial distribution (a row's sum of probabilities <= 0)"
        )
    if not replacement and num_samples > positive:
        raise RuntimeError(
            f"multinomial: cannot sample {num_samples} categories without "
            f"replacement from a row with only {positive} non-zero weights"
        )
    if replacement and num_samples > 1:
        # ATen's inverse CDF: per row the running sum in the weights' dtype, divided by the
        # total, its last entry set to 1; each float64 draw u picks the first category whose
        # cdf >= u (a zero weight repeats the value before it, so it is never picked).
        cdf = xp.cumsum(w, axis=1)
        cdf /= cdf[:, -1:]
        cdf[:, -1] = 1
        u = draw(lambda r: r.random((rows, num_samples)), device, generator)
        # one flat search for all rows: row r's cdf and draws shifted by r
        shift = xp.arange(rows, dtype=np.float64)[:, None]
        flat = xp.searchsorted((cdf + shift).ravel(), (u + shift).ravel(), side="left")
        index = flat.reshape(rows, num_samples) - xp.arange(rows)[:, None] * n
    else:
        # ATen's exponential race: category j finishes at q_j / w_j with q_j ~ Exp(1) (drawn
        # in the weights' dtype); the order of finishing is a draw without replacement (the
        # next one is j with probability w_j / the sum of the weights still running), and the
        # first to finish is one draw. Zero weights never finish.
        q = draw(lambda r: r.exponential(1.0, (rows, n), w.dtype), device, generator)
        race = w / q
        if num_samples == 1:
            index = xp.argmax(race, axis=1)[:, None]
        else:
            index = xp.argsort(-race, axis=1)[:, :num_samples]
    return index.astype(np.int64).reshape(out_shape)


def integer_range(np_dtype, low=None, high=None) -> tuple[int, int]:
    """The inclusive bounds of ``Tensor.random_(low, high)`` for ``np_dtype``: [low, high - 1],
    [0, high - 1] when only one bound is given, else [0, 2^mantissa] for floats (every integer
    exact) and [0, max] for integers."""
    if low is not None and high is None:
        low, high = 0, low
    low = 0 if low is None else int(low)
    if high is None:
        if np_dtype == np.bool_:
            return 0, 1
        if is_float(np_dtype):
            return 0, 2 ** (np_finfo(np_dtype).nmant + 1)
        return 0, int(np.iinfo(np_dtype).max)
    high = int(high)
    if low >= high:
        raise RuntimeError(
            f"random_ expects 'from' to be less than 'to', but got from={low} >= to={high}"
        )
    if np_dtype.kind in "iub":
        info = np.iinfo(np_dtype) if np_dtype != np.bool_ else np.iinfo(np.uint8)
        top = 1 if np_dtype == np.bool_ else info.max
        if low < info.min or high - 1 > top:
            raise RuntimeError(f"random_: [{low}, {high - 1}] is out of bounds for {np_dtype}")
    return low, high - 1
