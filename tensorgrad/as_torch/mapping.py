"""Which tensorgrad module answers for each ``torch`` module name.

``MODULES`` maps a torch module to the tensorgrad modules whose attributes it shows (looked up in
order) and to the shims it adds where tensorgrad has no such name (``shims.py``). A tensorgrad
module that does not exist (yet) makes its torch module missing: importing it raises
``NotImplementedError``. ``NN_MODULE_FILES`` lists, for each file of ``torch/nn/modules/``, the
classes and functions PyTorch defines there, so ``torch.nn.modules.dropout.Dropout`` is
``tensorgrad.nn.Dropout`` and ``torch.nn.modules.pooling.FractionalMaxPool2d`` names what is
missing.
The lists were read from PyTorch 2.13 (the package never imports torch); private names are kept
only for the base classes scripts subclass or test with ``isinstance`` (``_Loss``,
``_BatchNorm``, ``_ConvNd``, ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TorchModule:
    """One torch module: ``targets`` are tensorgrad modules whose attributes it forwards (first
    match wins; the torch module is missing while one of them is); ``shims`` names a dict in
    ``shims.py`` whose entries fill in names tensorgrad lacks; ``names``, when set, is the only
    names the module has (a ``torch/nn/modules`` file); ``renames`` maps a torch name to
    ``"tensorgrad.module:name"`` where tensorgrad calls the same class differently."""

    targets: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()  # searched after targets when they exist, else skipped
    shims: str | None = None
    names: frozenset[str] | None = None
    renames: dict[str, str] = field(default_factory=dict)  # torch name -> "module:name"


MODULES: dict[str, TorchModule] = {
    "torch": TorchModule(
        ("tensorgrad",), shims="TORCH", renames={"save": "tensorgrad.as_torch.shims:save"}
    ),
    "torch.nn": TorchModule(("tensorgrad.nn",)),
    "torch.nn.functional": TorchModule(("tensorgrad.nn.functional",)),
    "torch.nn.init": TorchModule(("tensorgrad.nn.init",)),
    "torch.nn.utils": TorchModule(("tensorgrad.nn.utils",)),
    "torch.nn.utils.clip_grad": TorchModule(("tensorgrad.nn.utils",)),
    "torch.nn.utils.rnn": TorchModule(("tensorgrad.nn.utils.rnn",)),
    "torch.nn.utils.parametrize": TorchModule(("tensorgrad.nn.utils.parametrize",)),
    "torch.nn.utils.parametrizations": TorchModule(("tensorgrad.nn.utils.parametrizations",)),
    "torch.nn.utils.fusion": TorchModule(("tensorgrad.nn.utils.fusion",)),
    "torch.nn.utils.prune": TorchModule(("tensorgrad.nn.utils.prune",)),
    "torch.nn.modules.lazy": TorchModule(("tensorgrad.nn.lazy",)),
    "torch.nn.parameter": TorchModule(("tensorgrad.nn.parameter",)),
    "torch.nn.modules": TorchModule(("tensorgrad.nn",)),
    "torch.nn.modules.utils": TorchModule(shims="NN_MODULES_UTILS"),
    "torch.nn.parallel": TorchModule(
        ("tensorgrad.distributed", "tensorgrad.nn.data_parallel"),
        names=frozenset({"DistributedDataParallel", "DataParallel", "data_parallel"}),
    ),
    "torch.optim": TorchModule(("tensorgrad.optim",)),
    "torch.optim.optimizer": TorchModule(("tensorgrad.optim.optimizer",)),
    "torch.optim.lr_scheduler": TorchModule(("tensorgrad.lr_scheduler",)),
    "torch.optim.swa_utils": TorchModule(("tensorgrad.optim.swa_utils",)),
    "torch.utils": TorchModule(("tensorgrad.utils",)),
    "torch.utils.checkpoint": TorchModule(("tensorgrad.recompute",)),
    "torch.utils.data": TorchModule(("tensorgrad.data",)),
    "torch.utils.data.dataset": TorchModule(("tensorgrad.data",)),
    "torch.utils.data.dataloader": TorchModule(("tensorgrad.data",)),
    "torch.utils.data.sampler": TorchModule(("tensorgrad.data",)),
    "torch.utils.data.distributed": TorchModule(
        ("tensorgrad.distributed",), names=frozenset({"DistributedSampler"})
    ),
    "torch.autograd": TorchModule(("tensorgrad.autograd",)),
    "torch.autograd.function": TorchModule(("tensorgrad.autograd.function",)),
    "torch.autograd.functional": TorchModule(("tensorgrad.autograd.functional",)),
    "torch.autograd.graph": TorchModule(("tensorgrad.autograd.graph",)),
    "torch.func": TorchModule(("tensorgrad.func",)),
    "torch.nn.utils.stateless": TorchModule(("tensorgrad.nn.utils.stateless",)),
    "torch.amp": TorchModule(("tensorgrad.amp",)),
    "torch.cuda": TorchModule(("tensorgrad.cuda",)),
    "torch.cuda.amp": TorchModule(shims="CUDA_AMP"),
    "torch.distributed": TorchModule(("tensorgrad.distributed",)),
    "torch.backends": TorchModule(),
    "torch.backends.cudnn": TorchModule(shims="CUDNN"),
    "torch.backends.cuda": TorchModule(shims="BACKENDS_CUDA"),
    "torch.backends.mps": TorchModule(shims="NOT_BUILT"),
    "torch.backends.mkldnn": TorchModule(shims="NOT_BUILT"),
    "torch.serialization": TorchModule(("tensorgrad.serialization",)),
    "torch.distributions": TorchModule(("tensorgrad.distributions",)),
    "torch.accelerator": TorchModule(("tensorgrad.accelerator",)),
    "torch.random": TorchModule(("tensorgrad.random",)),
    "torch.special": TorchModule(("tensorgrad.special",)),
    "torch.linalg": TorchModule(("tensorgrad.linalg",)),
    "torch.version": TorchModule(shims="VERSION"),
    # tg.compile lives in tensorgrad.jit; torch.jit's names are TorchScript's identities
    "torch.jit": TorchModule(("tensorgrad.torchscript",)),
    "torch.utils.tensorboard": TorchModule(("tensorgrad.summary",)),
    "torch.utils.tensorboard.writer": TorchModule(("tensorgrad.summary",)),
    # torch.multiprocessing re-exports the standard library's (plus tensor sharing through
    # shared memory, which NumPy-backed tensors get by pickling): set_start_method, Process,
    # Queue, get_context, cpu_count. A spawned child imports torch afresh: real torch unless
    # it runs tensorgrad.as_torch.install() itself.
    "torch.multiprocessing": TorchModule(("multiprocessing",)),
    "torch.profiler": TorchModule(("tensorgrad.profiler",)),
    "torch.autograd.profiler": TorchModule(("tensorgrad.profiler",)),
}

# torch/distributions' files (PyTorch 2.13): `from torch.distributions.normal import Normal` is
# tensorgrad's file of the same name; one tensorgrad lacks makes its import raise
DISTRIBUTION_FILES = (
    "bernoulli beta binomial categorical cauchy chi2 constraint_registry constraints "
    "continuous_bernoulli dirichlet distribution exp_family exponential fishersnedecor gamma "
    "generalized_pareto geometric gumbel half_cauchy half_normal independent inverse_gamma kl "
    "kumaraswamy laplace lkj_cholesky log_normal logistic_normal lowrank_multivariate_normal "
    "mixture_same_family multinomial multivariate_normal negative_binomial normal "
    "one_hot_categorical pareto poisson relaxed_bernoulli relaxed_categorical studentT "
    "transformed_distribution transforms uniform utils von_mises weibull wishart"
).split()
for _file in DISTRIBUTION_FILES:
    MODULES[f"torch.distributions.{_file}"] = TorchModule((f"tensorgrad.distributions.{_file}",))

# the classes and functions of each file of torch/nn/modules (PyTorch 2.13)
NN_MODULE_FILES: dict[str, str] = {
    "activation": "Threshold ReLU RReLU Hardtanh ReLU6 Sigmoid Hardsigmoid Tanh SiLU Mish "
    "Hardswish ELU CELU SELU GLU GELU Hardshrink LeakyReLU LogSigmoid Softplus Softshrink "
    "MultiheadAttention PReLU Softsign Tanhshrink Softmin Softmax Softmax2d LogSoftmax",
    "adaptive": "AdaptiveLogSoftmaxWithLoss",
    "batchnorm": "_NormBase _BatchNorm BatchNorm1d LazyBatchNorm1d BatchNorm2d LazyBatchNorm2d "
    "BatchNorm3d LazyBatchNorm3d SyncBatchNorm",
    "channelshuffle": "ChannelShuffle",
    "container": "Container Sequential ModuleList ModuleDict ParameterList ParameterDict",
    "conv": "_ConvNd Conv1d Conv2d Conv3d _ConvTransposeNd ConvTranspose1d ConvTranspose2d "
    "ConvTranspose3d LazyConv1d LazyConv2d LazyConv3d LazyConvTranspose1d LazyConvTranspose2d "
    "LazyConvTranspose3d",
    "distance": "PairwiseDistance CosineSimilarity",
    "dropout": "_DropoutNd Dropout Dropout1d Dropout2d Dropout3d AlphaDropout FeatureAlphaDropout",
    "flatten": "Flatten Unflatten",
    "fold": "Fold Unfold",
    "instancenorm": "_InstanceNorm InstanceNorm1d LazyInstanceNorm1d InstanceNorm2d "
    "LazyInstanceNorm2d InstanceNorm3d LazyInstanceNorm3d",
    "linear": "Identity Linear NonDynamicallyQuantizableLinear Bilinear LazyLinear",
    "loss": "_Loss _WeightedLoss L1Loss NLLLoss NLLLoss2d PoissonNLLLoss GaussianNLLLoss "
    "KLDivLoss MSELoss BCELoss BCEWithLogitsLoss HingeEmbeddingLoss MultiLabelMarginLoss "
    "SmoothL1Loss HuberLoss SoftMarginLoss CrossEntropyLoss LinearCrossEntropyLoss "
    "MultiLabelSoftMarginLoss CosineEmbeddingLoss MarginRankingLoss MultiMarginLoss "
    "TripletMarginLoss TripletMarginWithDistanceLoss CTCLoss",
    "module": "_IncompatibleKeys register_module_buffer_registration_hook "
    "register_module_module_registration_hook register_module_parameter_registration_hook "
    "register_module_forward_pre_hook register_module_forward_hook "
    "register_module_backward_hook register_module_full_backward_pre_hook "
    "register_module_full_backward_hook Module",
    "normalization": "LocalResponseNorm CrossMapLRN2d LayerNorm GroupNorm RMSNorm",
    "padding": "CircularPad1d CircularPad2d CircularPad3d ConstantPad1d ConstantPad2d "
    "ConstantPad3d ReflectionPad1d ReflectionPad2d ReflectionPad3d ReplicationPad1d "
    "ReplicationPad2d ReplicationPad3d ZeroPad1d ZeroPad2d ZeroPad3d",
    "pixelshuffle": "PixelShuffle PixelUnshuffle",
    "pooling": "_MaxPoolNd MaxPool1d MaxPool2d MaxPool3d MaxUnpool1d MaxUnpool2d MaxUnpool3d "
    "_AvgPoolNd AvgPool1d AvgPool2d AvgPool3d FractionalMaxPool2d FractionalMaxPool3d LPPool1d "
    "LPPool2d LPPool3d _AdaptiveMaxPoolNd AdaptiveMaxPool1d AdaptiveMaxPool2d AdaptiveMaxPool3d "
    "_AdaptiveAvgPoolNd AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveAvgPool3d",
    "rnn": "apply_permutation RNNBase RNN LSTM GRU RNNCellBase RNNCell LSTMCell GRUCell",
    "sparse": "Embedding EmbeddingBag",
    "transformer": "Transformer TransformerEncoder TransformerDecoder TransformerEncoderLayer "
    "TransformerDecoderLayer",
    "upsampling": "Upsample UpsamplingNearest2d UpsamplingBilinear2d",
}

# where a torch file's names live in tensorgrad when tensorgrad.nn does not export them (the
# private base classes): tensorgrad's file of the same name, or these
_NN_FILES_IN_TENSORGRAD = {
    "batchnorm": ("normalization",),
    "instancenorm": ("normalization",),
    "activation": ("activation", "attention"),
}
# torch's private name -> tensorgrad's name for the same class
_NN_RENAMES = {
    "_BatchNorm": "tensorgrad.nn.normalization:BatchNormBase",
    "_NormBase": "tensorgrad.nn.normalization:NormBase",
    "_InstanceNorm": "tensorgrad.nn.normalization:InstanceNormBase",
    "_IncompatibleKeys": "tensorgrad.nn.module:IncompatibleKeys",
}

for _file, _names in NN_MODULE_FILES.items():
    _files = _NN_FILES_IN_TENSORGRAD.get(_file, (_file,))
    MODULES[f"torch.nn.modules.{_file}"] = TorchModule(
        ("tensorgrad.nn",),
        optional=tuple(f"tensorgrad.nn.{f}" for f in _files),
        names=frozenset(_names.split()),
        renames={k: v for k, v in _NN_RENAMES.items() if k in _names.split()},
    )
del _file, _names, _files
