"""Random numbers: ``Generator`` (PCG64 underneath) and the process-wide default generator.

``tg.manual_seed(s)`` reseeds the default generator, so every draw that uses it (creation ops,
dropout, DataLoader shuffling) repeats exactly. ``get_state``/``set_state`` give the state as a
uint8 tensor, as PyTorch does, so a checkpoint can store it with the weights.
"""

from __future__ import annotations

import numpy as np

DEFAULT_SEED = 67280421310721  # PyTorch's default seed: runs repeat even without manual_seed
_STATE_BYTES = 16 + 16 + 4 + 4 + 8  # PCG64 state, increment, has_uint32, uinteger, seed


class Generator:
    """A source of random draws; ``tg.Generator().manual_seed(0)`` makes a private one."""

    def __init__(self, device: str = "cpu") -> None:
        self.device = device
        self.manual_seed(DEFAULT_SEED)

    def manual_seed(self, seed: int) -> Generator:
        seed = int(seed)
        self._seed = seed
        self.rng = np.random.Generator(np.random.PCG64(seed & ((1 << 64) - 1)))
        return self

    def seed(self) -> int:
        """Reseed from the operating system's entropy; returns the new seed."""
        seed = int(np.random.SeedSequence().entropy) & ((1 << 63) - 1)
        self.manual_seed(seed)
        return seed

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self):
        from .tensor import Tensor

        s = self.rng.bit_generator.state
        raw = b"".join(
            [
                s["state"]["state"].to_bytes(16, "little"),
                s["state"]["inc"].to_bytes(16, "little"),
                int(s["has_uint32"]).to_bytes(4, "little"),
                int(s["uinteger"]).to_bytes(4, "little"),
                self._seed.to_bytes(8, "little", signed=True),
            ]
        )
        return Tensor(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, state) -> Generator:
        raw = np.asarray(state, dtype=np.uint8).tobytes()
        if len(raw) != _STATE_BYTES:
            raise ValueError(f"a generator state has {_STATE_BYTES} bytes, got {len(raw)}")
        self._seed = int.from_bytes(raw[40:48], "little", signed=True)
        self.rng = np.random.Generator(np.random.PCG64())
        self.rng.bit_generator.state = {
            "bit_generator": "PCG64",
            "state": {
                "state": int.from_bytes(raw[0:16], "little"),
                "inc": int.from_bytes(raw[16:32], "little"),
            },
            "has_uint32": int.from_bytes(raw[32:36], "little"),
            "uinteger": int.from_bytes(raw[36:40], "little"),
        }
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


def rng(generator: Generator | None = None) -> np.random.Generator:
    return (generator or default_generator).rng
