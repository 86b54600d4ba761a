"""``tensorgrad.optim``: PyTorch's optimizers with the same update rules, state and state dicts.

Every optimizer updates its parameters' arrays in place (no graph, the version counter bumped),
skips parameters whose ``grad`` is None and keeps two or three scratch arrays per parameter so
that a step allocates nothing. On the CPU a large step is split across threads (NumPy releases
the GIL in its ufuncs), bit-identical to one pass; ``OMP_NUM_THREADS`` caps the count.

Every optimizer takes PyTorch's implementation switches (``foreach``, ``fused``, ``capturable``,
``differentiable`` where PyTorch has them) and keeps them in its param groups, so state dicts
move between the two; what each does here is in ``optimizer.check_flags``. No ``SparseAdam``:
tensorgrad has no sparse gradients (``Embedding(sparse=True)`` raises), and PyTorch's SparseAdam
refuses dense ones.
"""

from .. import lr_scheduler  # tensorgrad.optim.lr_scheduler, as torch.optim has
from . import swa_utils  # torch.optim.swa_utils: AveragedModel (SWA, EMA), SWALR, update_bn
from .adadelta import Adadelta
from .adafactor import Adafactor
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
from .rprop import Rprop
from .sgd import SGD

__all__ = [
    "ASGD",
    "Adadelta",
    "Adafactor",
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
    "Rprop",
    "SGD",
    "required",
]
