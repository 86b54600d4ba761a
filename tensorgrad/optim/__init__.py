"""``tensorgrad.optim``: PyTorch's optimizers with the same update rules, state and state dicts.

Every optimizer updates its parameters' arrays in place (no graph, the version counter bumped),
skips parameters whose ``grad`` is None and keeps two or three scratch arrays per parameter so
that a step allocates nothing. On the CPU a large step is split across threads (NumPy releases
the GIL in its ufuncs), bit-identical to one pass; ``OMP_NUM_THREADS`` caps the count.
"""

from .. import lr_scheduler  # tensorgrad.optim.lr_scheduler, as torch.optim has
from .adadelta import Adadelta
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .adamax import Adamax
from .asgd import ASGD
from .lbfgs import LBFGS
from .lion import Lion
from .nadam import NAdam
from .optimizer import Optimizer, required
from .radam import RAdam
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = [
    "ASGD",
    "Adadelta",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "LBFGS",
    "Lion",
    "NAdam",
    "Optimizer",
    "RAdam",
    "RMSprop",
    "SGD",
    "required",
]
