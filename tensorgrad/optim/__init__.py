"""``tensorgrad.optim``: PyTorch's optimizers with the same update rules, state and state dicts.

Every optimizer updates its parameters' arrays in place (no graph, the version counter bumped),
skips parameters whose ``grad`` is None and keeps two or three scratch arrays per parameter so
that a step allocates nothing. On the CPU a large step is split across threads (NumPy releases
the GIL in its ufuncs), bit-identical to one pass; ``OMP_NUM_THREADS`` caps the count.
"""

from .. import lr_scheduler  # tensorgrad.optim.lr_scheduler, as torch.optim has
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .lion import Lion
from .optimizer import Optimizer, required
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Adagrad", "Adam", "AdamW", "Lion", "Optimizer", "RMSprop", "SGD", "required"]
