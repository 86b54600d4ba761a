"""tensorgrad: a deep learning framework on NumPy (CPU) and CuPy (GPU) with a PyTorch-shaped API.

``import tensorgrad as tg``; ``tg.Tensor`` is ``tensorgrad.tensor.Tensor``.
"""

from . import tensor as _tensor_module  # noqa: I001 (Tensor first: the ops import it)
from .tensor import Tensor, cat, concat, concatenate, einsum, matmul, stack, where
from .creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_dlpack,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from . import amp, autograd, checkpoint, cuda, data, datasets, lr_scheduler, nn, optim, training
from . import grad_flow, utils  # grad_report, track_updates (utils: torch.utils namesake)
from . import viz  # draw_graph, trace
from . import serialization  # add_safe_globals, safe_globals (torch.serialization's namesake)
from . import accelerator  # torch.accelerator's device queries
from . import kernels  # the numba CPU kernels and their switch
from .jit import compile  # record a step once, replay it as array code
from .threads import get_num_threads, set_num_threads
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .backend import (
    Device as device,
    bool_ as bool,
    dtype,
    float16,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
)
from .random import Generator, get_rng_state, initial_seed, manual_seed, seed, set_rng_state
from .checkpoint import load, load_safetensors, save, save_safetensors
from .creation import bernoulli, multinomial, normal, randint_like  # random sampling
from .grad_mode import inference_mode, is_inference_mode_enabled
from . import distributions  # torch.distributions' namesake
from .ops.sorting import (
    argsort,
    bincount,
    bucketize,
    kthvalue,
    searchsorted,
    sort,
    topk,
    unique,
    unique_consecutive,
)
from .ops.linalg import cdist, tensordot
from .ops.movement import meshgrid
from .ops.movement import (  # torch's functions of several tensors (no Tensor method)
    atleast_1d,
    atleast_2d,
    atleast_3d,
    block_diag,
    cartesian_prod,
    column_stack,
    combinations,
    dstack,
    hstack,
    row_stack,
    vstack,
)
from .ops.reduce import std_mean, var_mean
from . import linalg  # torch.linalg's namesake: norms, solve, cholesky, qr, eigh, svd, inv, ...
from . import special  # torch.special's namesake: erfinv, gammaln, ndtri, xlogy, ...
from .special import polygamma, xlogy  # torch.polygamma(n, x); xlogy(number, x)

half, float, double = float16, float32, float64
short, int, long = int16, int32, int64

__version__ = "0.1.0"


def _function(name):
    method = getattr(Tensor, name)

    def fn(input, *args, **kwargs):
        return method(input, *args, **kwargs)

    fn.__name__ = name
    fn.__doc__ = method.__doc__
    return fn


# torch.exp(x) and friends: the functional form of every Tensor method of the same name
for _name in (
    "abs add sub mul div pow exp log log1p expm1 log2 log10 sqrt rsqrt sin cos tan tanh sigmoid "
    "relu erf square reciprocal sign floor ceil round trunc clamp clip maximum minimum "
    "erfc asin arcsin acos arccos atan arctan atan2 arctan2 sinh cosh asinh arcsinh acosh "
    "arccosh atanh arctanh sinc hypot logaddexp logaddexp2 deg2rad rad2deg frac sgn "
    "nan_to_num isclose "
    "sum mean prod var std max min amax amin argmax argmin logsumexp norm cumsum all any "
    "softmax log_softmax reshape transpose permute squeeze unsqueeze flatten unflatten flip roll "
    "narrow split chunk unbind tril triu masked_fill gather scatter scatter_add index_select "
    "isnan isinf isfinite logical_not logical_and logical_or eq ne lt le gt ge allclose equal "
    "neg negative absolute subtract multiply divide true_divide fmod count_nonzero "
    "dot outer remainder floor_divide numel clone detach tile repeat_interleave lerp"
    " mm mv bmm addmm addmv addbmm baddbmm addr kron cross cumprod diagonal diag_embed diag "
    "trace diff rot90 take_along_dim inverse det logdet slogdet"
    " erfinv lgamma digamma mvlgamma logit i0"
    " median nanmedian mode quantile nanquantile nansum nanmean aminmax cummax cummin "
    "logcumsumexp histc movedim moveaxis swapdims swapaxes inner vdot"
).split():
    if hasattr(Tensor, _name):
        globals()[_name] = _function(_name)
del _name, _tensor_module
