"""Neural-network building blocks, PyTorch's ``torch.nn``: ``Module``, layers, losses.

``tensorgrad.nn.functional`` holds the stateless functions, ``tensorgrad.nn.init`` the weight
initialisations and ``tensorgrad.nn.utils`` gradient clipping and parameter vectors.
"""

from . import functional, init, utils
from .activation import (
    ELU,
    GELU,
    LeakyReLU,
    LogSoftmax,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from .attention import *  # noqa: F403
from .container import ModuleDict, ModuleList, Sequential
from .conv import *  # noqa: F403
from .dropout import Dropout
from .flatten import *  # noqa: F403
from .linear import Identity, Linear
from .loss import *  # noqa: F403
from .module import Module
from .normalization import *  # noqa: F403
from .parameter import Buffer, Parameter
from .pooling import *  # noqa: F403
from .rnn import *  # noqa: F403
from .sparse import *  # noqa: F403
from .transformer import *  # noqa: F403
