"""tensorgrad: a deep learning framework on NumPy (CPU) and CuPy (GPU) with a PyTorch-shaped API.

``import tensorgrad as tg``; ``tg.Tensor`` is ``tensorgrad.tensor.Tensor``.
"""

from . import tensor as _tensor_module  # noqa: I001 (Tensor first: the ops import it)
from .tensor import Tensor, cat, concat, concatenate, einsum, matmul, stack, where
from . import _args
from .creation import (
    arange,
    as_tensor,
    asarray,
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
    scalar_tensor,
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
from . import func  # torch.func's namesake: grad, vmap, jacrev, functional_call, ...
from .func import vmap  # torch.vmap is torch.func.vmap
from .jit import compile  # record a step once, replay it as array code
from .threads import get_num_threads, set_num_threads
from .threads import get_num_interop_threads, set_num_interop_threads
from .flags import (  # switches PyTorch scripts set: recorded, read back, checked as PyTorch's
    are_deterministic_algorithms_enabled,
    get_deterministic_debug_mode,
    get_float32_matmul_precision,
    is_deterministic_algorithms_warn_only_enabled,
    is_warn_always_enabled,
    set_deterministic_debug_mode,
    set_flush_denormal,
    set_float32_matmul_precision,
    set_warn_always,
    typename,
    use_deterministic_algorithms,
)
from .autograd import is_anomaly_enabled
from .autograd.anomaly import is_anomaly_check_nan_enabled
from .autograd import set_detect_anomaly as set_anomaly_enabled
from .autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .backend import (
    Device as device,
    bfloat16,  # a name only: NumPy has no bfloat16, and making such a tensor raises
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
from .creation import bernoulli, binomial, multinomial, normal, poisson, randint_like  # sampling
from .grad_mode import inference_mode, is_inference_mode_enabled
from .amp import GradScaler, autocast, get_autocast_dtype, is_autocast_enabled  # torch.autocast
from .amp import set_autocast_dtype
from . import distributions  # torch.distributions' namesake
from .tensor_types import (  # PyTorch's legacy typed constructors: FloatTensor([1, 2])
    BFloat16Tensor,
    BoolTensor,
    ByteTensor,
    CharTensor,
    DoubleTensor,
    FloatTensor,
    HalfTensor,
    IntTensor,
    LongTensor,
    ShortTensor,
)
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
from .ops.linalg import chain_matmul, frobenius_norm, lu_unpack, nuclear_norm  # torch's older forms
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
from .ops.indexing import (  # torch's index ops as functions (most are Tensor methods too)
    argwhere,
    diagonal_scatter,
    index_add,
    index_copy,
    index_fill,
    index_put,
    index_put_,
    index_reduce,
    isin,
    masked_scatter,
    masked_select,
    nonzero,
    put,
    scatter_reduce,
    select_scatter,
    slice_scatter,
    take,
    tril_indices,
    triu_indices,
    unravel_index,
)
from .ops.movement import (  # splits, windows, broadcasting and sequences
    broadcast_shapes,
    broadcast_tensors,
    diagflat,
    dsplit,
    fliplr,
    flipud,
    hsplit,
    logspace,
    narrow_copy,
    ravel,
    select,
    split_with_sizes,
    tensor_split,
    vander,
    vsplit,
)
from .ops.movement import range_ as range  # torch.range, deprecated: the end is included
from .ops.reduce import corrcoef, cov, cumulative_trapezoid, trapezoid, trapz
from .ops.sorting import histogram, msort
from .lowrank import pca_lowrank, svd_lowrank  # randomized SVD and PCA (torch/_lowrank.py)
from .foreach import *  # noqa: F403 (torch._foreach_add_ and the other multi-tensor ops)
from . import linalg  # torch.linalg's namesake: norms, solve, cholesky, qr, eigh, svd, inv, ...
from . import special  # torch.special's namesake: erfinv, gammaln, ndtri, xlogy, ...
from .memory_format import (  # how elements sit in memory (never what they are)
    channels_last,
    channels_last_3d,
    contiguous_format,
    layout,
    memory_format,
    preserve_format,
    strided,
)
from .windows import (  # tapers for spectral analysis
    bartlett_window,
    blackman_window,
    hamming_window,
    hann_window,
    kaiser_window,
)
from .special import polygamma, xlogy  # torch.polygamma(n, x); xlogy(number, x)
from .nn.aliases import (  # torch.conv2d, torch.batch_norm, ...: ATen's forms of nn.functional's
    adaptive_avg_pool1d,
    adaptive_max_pool1d,
    affine_grid_generator,
    alpha_dropout,
    avg_pool1d,
    batch_norm,
    bilinear,
    binary_cross_entropy_with_logits,
    celu,
    channel_shuffle,
    constant_pad_nd,
    conv1d,
    conv2d,
    conv3d,
    conv_transpose1d,
    conv_transpose2d,
    conv_transpose3d,
    cosine_embedding_loss,
    cosine_similarity,
    dropout,
    embedding,
    feature_alpha_dropout,
    grid_sampler,
    group_norm,
    hardshrink,
    hinge_embedding_loss,
    instance_norm,
    kl_div,
    layer_norm,
    margin_ranking_loss,
    max_pool1d,
    max_pool1d_with_indices,
    max_pool2d,
    max_pool3d,
    pairwise_distance,
    pixel_shuffle,
    pixel_unshuffle,
    poisson_nll_loss,
    prelu,
    rms_norm,
    selu,
    threshold,
    triplet_margin_loss,
)

# dtype queries, the default float dtype, constants and print options, under torch's names
from .backend import Size, can_cast, finfo, get_default_dtype, iinfo, set_default_dtype
from .backend import get_default_device, set_default_device
from .backend import promoted as promote_types, result_dtype as result_type
from ._format import set_printoptions
from .tensor import float_power, is_tensor, rsub
from math import e, inf, nan, pi  # torch.pi and friends

newaxis = None

half, float, double = float16, float32, float64
short, int, long = int16, int32, int64

__version__ = "0.1.0"


def _function(name):
    method = getattr(Tensor, name)

    def fn(input, *args, out=None, **kwargs):
        result = method(input, *args, **kwargs)
        return result if out is None else _args.write_out(name, result, out)

    fn.__name__ = name
    fn.__doc__ = method.__doc__
    return fn


# torch.matmul(a, b, out=c) and the other functions of several tensors taking out=
matmul, cat, concat, concatenate, stack, where, tensordot = (
    _args.with_out(f) for f in (matmul, cat, concat, concatenate, stack, where, tensordot)
)
sort, topk, kthvalue, masked_select, take, nonzero = (
    _args.with_out(f) for f in (sort, topk, kthvalue, masked_select, take, nonzero)
)
hstack, vstack, dstack, column_stack = (
    _args.with_out(f) for f in (hstack, vstack, dstack, column_stack)
)
# torch.arange(5, out=t), torch.zeros(2, 3, out=t): made in out's dtype and written into it
_FACTORIES = (arange, zeros, ones, empty, full, rand, randn, randint, linspace, logspace, eye)
arange, zeros, ones, empty, full, rand, randn, randint, linspace, logspace, eye = (
    _args.with_factory_out(f) for f in _FACTORIES
)
randperm = _args.with_factory_out(randperm)
del _FACTORIES


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
    " svd qr cholesky cholesky_solve cholesky_inverse triangular_solve lu lu_solve matrix_exp "
    "matrix_power pinverse ger adjoint igamma igammac"
    " erfinv lgamma digamma mvlgamma logit i0"
    " median nanmedian mode quantile nanquantile nansum nanmean aminmax cummax cummin "
    "logcumsumexp histc movedim moveaxis swapdims swapaxes inner vdot"
    " t broadcast_to get_device"
    " addcmul addcdiv clamp_min clamp_max copysign fmax fmin heaviside signbit isposinf "
    "isneginf isreal exp2 logical_xor greater greater_equal less less_equal not_equal positive "
    "fix gcd lcm bitwise_and bitwise_or bitwise_xor bitwise_not bitwise_left_shift "
    "bitwise_right_shift ldexp frexp nextafter dist renorm is_floating_point is_complex "
    "is_nonzero is_same_size is_signed is_inference clamp_ clip_ fill_ zero_ abs_ neg_ "
    "negative_ exp_ exp2_ expm1_ log_ log2_ log10_ log1p_ sqrt_ rsqrt_ square_ reciprocal_ "
    "sigmoid_ tanh_ relu_ sin_ cos_ tan_ asin_ acos_ atan_ arcsin_ arccos_ arctan_ sinh_ cosh_ "
    "asinh_ acosh_ atanh_ arcsinh_ arccosh_ arctanh_ ceil_ floor_ round_ trunc_ fix_ frac_ erf_ "
    "erfc_ i0_ logit_ xlogy_ sinc_ deg2rad_ rad2deg_ nan_to_num_ clamp_min_ clamp_max_ gcd_ "
    "lcm_ ldexp_ conj conj_physical resolve_conj resolve_neg is_conj is_neg unsafe_chunk "
    "unsafe_split"
).split():
    if hasattr(Tensor, _name):
        globals()[_name] = _function(_name)
del _name, _tensor_module


def real(input: Tensor) -> Tensor:
    """``input.real``: a real tensor itself."""
    return input.real


def imag(input: Tensor) -> Tensor:
    """``input.imag``: raises for a real tensor, as PyTorch's."""
    return input.imag
