"""tensorgrad.random_stream against PyTorch's CPU generator: after the same seed every sampler,
the weights every layer initialises, DataLoader's order and dropout's masks are PyTorch's, to
the bit; generator states load in either library."""

import random
from pathlib import Path

import numpy as np
import pytest

import tensorgrad as tg

torch = pytest.importorskip("torch")

# On Intel CPUs PyTorch's bernoulli_(p) and exponential_ draw through MKL's own generator.
_CPUINFO = Path("/proc/cpuinfo")
INTEL = _CPUINFO.exists() and "GenuineIntel" in _CPUINFO.read_text()
mkl_on_intel = pytest.mark.skipif(INTEL, reason="PyTorch draws these through MKL on Intel")


def _pair(draw_torch, draw_tg, seed=0):
    torch.manual_seed(seed)
    tg.manual_seed(seed)
    expected = [draw_torch().numpy() for _ in range(3)]  # three calls: the stream moves on
    got = [draw_tg().numpy() for _ in range(3)]
    for e, g in zip(expected, got):
        assert g.dtype == e.dtype
        np.testing.assert_array_equal(g, e)


DRAWS = {
    "rand": lambda lib: lib.rand(3, 37),
    "rand float64": lambda lib: lib.rand(5, 3, dtype=lib.float64),
    "rand float16": lambda lib: lib.rand(9, dtype=lib.float16),
    "randn blocks": lambda lib: lib.randn(1000, 7),  # 7000: 16 does not divide it
    "randn 16": lambda lib: lib.randn(4, 4),
    "randn short": lambda lib: lib.randn(5),  # float64 pairs, the second value kept
    "randn float64 blocks": lambda lib: lib.randn(301, dtype=lib.float64),
    "randn float64 short": lambda lib: lib.randn(3, dtype=lib.float64),
    # float16 (and bfloat16, tests/test_bfloat16.py) fill block by block: the redrawn tail's
    # uniforms follow the whole blocks', not all n
    "randn float16 blocks": lambda lib: lib.randn(40, dtype=lib.float16),
    "normal_ float16": lambda lib: lib.empty(1003, dtype=lib.float16).normal_(0.5, 2.5),
    "randn_like": lambda lib: lib.randn_like(lib.zeros(40, 2)),
    "normal_": lambda lib: lib.empty(33, 5).normal_(0.5, 0.02),
    "normal_ float64": lambda lib: lib.empty(40, dtype=lib.float64).normal_(-1.0, 3.0),
    "normal_ short": lambda lib: lib.empty(7).normal_(2.0, 0.1),
    "normal tensors": lambda lib: lib.normal(lib.arange(20.0), lib.full((20,), 0.5)),
    "normal mean tensor": lambda lib: lib.normal(lib.arange(20.0), 2.0),
    "normal numbers": lambda lib: lib.normal(1.0, 2.0, (4, 5)),
    "uniform_": lambda lib: lib.empty(123).uniform_(-0.3, 0.05),
    "uniform_ float64": lambda lib: lib.empty(50, dtype=lib.float64).uniform_(2.0, 7.5),
    "randint": lambda lib: lib.randint(-3, 17, (40,)),
    "randint wide": lambda lib: lib.randint(0, 2**40, (6,)),
    "randint_like": lambda lib: lib.randint_like(lib.zeros(6, dtype=lib.int32), 100),
    "randperm": lambda lib: lib.randperm(1000),
    "random_ bounds": lambda lib: lib.empty(8).random_(3, 10),
    "random_ int64": lambda lib: lib.empty(5, dtype=lib.int64).random_(),
    "random_ int32": lambda lib: lib.empty(5, dtype=lib.int32).random_(),
    "random_ uint8": lambda lib: lib.empty(5, dtype=lib.uint8).random_(),
    "random_ float32": lambda lib: lib.empty(5).random_(),
    "random_ float64": lambda lib: lib.empty(5, dtype=lib.float64).random_(),
    "random_ bool": lambda lib: lib.empty(9, dtype=lib.bool).random_(),
    "bernoulli tensor": lambda lib: lib.bernoulli(lib.linspace(0, 1, 300)),
    "bernoulli float64": lambda lib: lib.bernoulli(lib.full((50,), 0.4, dtype=lib.float64)),
    "multinomial replacement": lambda lib: lib.multinomial(lib.rand(3, 7) + 0.1, 20, True),
    "poisson": lambda lib: lib.poisson(lib.tensor([[0.0, 0.5, 3.0], [9.9, 10.0, 250.0]])),
    "binomial": lambda lib: lib.binomial(
        lib.tensor([4.0, 30.0, 900.0]), lib.tensor([0.5, 0.95, 0.1])
    ),
    "Normal": lambda lib: lib.distributions.Normal(lib.zeros(3), lib.ones(3) * 2).sample((6,)),
    "Uniform": lambda lib: lib.distributions.Uniform(-1.0, lib.arange(1.0, 4.0)).sample((5,)),
    "Bernoulli": lambda lib: lib.distributions.Bernoulli(probs=lib.rand(40)).sample(),
    "cauchy_": lambda lib: lib.empty(30).cauchy_(1.0, 2.0),
    "log_normal_": lambda lib: lib.empty(9).log_normal_(0.5, 0.25),
    "geometric_": lambda lib: lib.empty(30, dtype=lib.float64).geometric_(0.3),
    "Cauchy": lambda lib: lib.distributions.Cauchy(lib.zeros(3), lib.ones(3)).sample((5,)),
    "MultivariateNormal": lambda lib: lib.distributions.MultivariateNormal(
        lib.zeros(3), lib.eye(3) * 2
    ).sample((5,)),
    "Geometric": lambda lib: lib.distributions.Geometric(probs=lib.full((3,), 0.3)).sample((5,)),
    "Gamma": lambda lib: lib.distributions.Gamma(lib.tensor([0.3, 1.0, 2.5, 40.0]), 2.0).sample(
        (6,)
    ),
    "Gamma float64": lambda lib: lib.distributions.Gamma(
        lib.tensor([0.5, 3.0], dtype=lib.float64), 1.0
    ).sample((4,)),
    "Beta": lambda lib: lib.distributions.Beta(
        lib.tensor([0.5, 2.0]), lib.tensor([1.5, 0.7])
    ).sample((5,)),
    "Dirichlet": lambda lib: lib.distributions.Dirichlet(lib.tensor([0.2, 1.0, 3.0])).sample((4,)),
    "StudentT": lambda lib: lib.distributions.StudentT(lib.tensor([1.5, 4.0])).sample((5,)),
    "Binomial": lambda lib: lib.distributions.Binomial(
        lib.tensor([5.0, 100.0, 1000.0, 60.0]), lib.tensor([0.3, 0.3, 0.02, 0.9])
    ).sample((5,)),
    "Poisson": lambda lib: lib.distributions.Poisson(
        lib.tensor([0.0, 0.7, 4.0, 12.0, 300.0])
    ).sample((6,)),
    "FisherSnedecor": lambda lib: lib.distributions.FisherSnedecor(
        lib.tensor([0.5, 2.0, 7.0]), lib.tensor([1.0, 3.0, 30.0])
    ).sample((4,)),
    "InverseGamma": lambda lib: lib.distributions.InverseGamma(
        lib.tensor([0.5, 2.0, 7.0]), lib.tensor([1.0, 3.0, 0.2])
    ).sample((4,)),
    "VonMises": lambda lib: lib.distributions.VonMises(
        lib.linspace(-3.0, 3.0, 6), lib.tensor([1e-6, 0.01, 0.5, 4.0, 30.0, 500.0])
    ).sample((50,)),
    "VonMises float64": lambda lib: lib.distributions.VonMises(
        lib.tensor([0.5, -2.0], dtype=lib.float64), lib.tensor([2.0, 0.1], dtype=lib.float64)
    ).sample((3,)),
}

# PyTorch's CPU sqrt (its vectorised kernel, float32 and float64) is not always correctly rounded
# (NumPy's is), and its matmul sums in another order: these draw the same numbers and turn
# them into samples with those ops, so they are PyTorch's to within k ulps of their largest
# entry (k = 100 for LKJCholesky: its diagonal sqrt(1 - |row|^2) magnifies the rounding of
# the row where the row's norm is near 1)
ROUNDED_DRAWS = {
    "Wishart": (
        8,
        lambda lib: lib.distributions.Wishart(
            lib.tensor([4.0, 6.5]),
            lib.tensor([[2.0, 0.3, 0.1], [0.3, 1.0, -0.2], [0.1, -0.2, 0.5]]),
        ).sample((5,)),
    ),
    "Wishart float64": (
        8,
        lambda lib: lib.distributions.Wishart(
            lib.tensor(3.5, dtype=lib.float64), scale_tril=lib.eye(3, dtype=lib.float64) * 2
        ).sample((2,)),
    ),
    "LKJCholesky": (
        100,
        lambda lib: lib.distributions.LKJCholesky(4, lib.tensor([0.5, 1.0, 3.0])).sample((5,)),
    ),
    "LKJCholesky float64": (
        100,
        lambda lib: lib.distributions.LKJCholesky(3, lib.tensor(2.0, dtype=lib.float64)).sample(
            (4,)
        ),
    ),
}

# bernoulli_(p) and exponential_ (so multinomial's exponential race, one draw or none repeated)
MKL_DRAWS = {
    "multinomial one": lambda lib: lib.multinomial(lib.arange(1.0, 30.0), 1, True),
    "multinomial rows": lambda lib: lib.multinomial(lib.rand(4, 9) * (lib.arange(9) % 3 > 0), 4),
    "Categorical": lambda lib: lib.distributions.Categorical(logits=lib.randn(3, 5)).sample((2,)),
    "Exponential": lambda lib: lib.distributions.Exponential(lib.arange(1.0, 4.0)).sample((5,)),
    "bernoulli_": lambda lib: lib.empty(300).bernoulli_(0.3),
    "exponential_": lambda lib: lib.empty(40).exponential_(2.5),
    "exponential_ float64": lambda lib: lib.empty(40, dtype=lib.float64).exponential_(),
}


def _filled(lib, shape, view, fill):
    """``fill`` applied to ``view`` of a fresh tensor of ``shape``; the whole tensor."""
    base = lib.zeros(*shape)
    fill(view(base))
    return base


# In-place fills of views walk memory as PyTorch's do: a transposed view draws in its base's
# order, and a non-contiguous normal_ draws one float64 pair at a time (not in blocks of 16).
VIEW_FILLS = {
    "normal_ on a column slice": lambda lib: _filled(
        lib, (3, 40), lambda w: w[:, :20], lambda v: v.normal_()
    ),
    "normal_ on a transpose": lambda lib: _filled(
        lib, (4, 30), lambda w: w.t(), lambda v: v.normal_(0.5, 2.0)
    ),
    "uniform_ on a transpose": lambda lib: _filled(
        lib, (5, 6), lambda w: w.t(), lambda v: v.uniform_(-1, 1)
    ),
    "random_ on a permutation": lambda lib: _filled(
        lib, (2, 3, 4), lambda w: w.permute(2, 0, 1), lambda v: v.random_(0, 100)
    ),
    "bernoulli_ on a transpose": lambda lib: _filled(
        lib, (6, 5), lambda w: w.t(), lambda v: v.bernoulli_(lib.arange(30.0).reshape(5, 6) / 30)
    ),
}


@pytest.mark.parametrize("name", list(VIEW_FILLS))
def test_fills_of_views_draw_in_pytorchs_order(name):
    _pair(lambda: VIEW_FILLS[name](torch), lambda: VIEW_FILLS[name](tg), seed=4)


@pytest.mark.parametrize("name", list(DRAWS))
def test_samplers_draw_what_pytorch_draws(name):
    _pair(lambda: DRAWS[name](torch), lambda: DRAWS[name](tg), seed=3)


@pytest.mark.parametrize("name", list(ROUNDED_DRAWS))
@pytest.mark.filterwarnings("ignore:Singular sample detected")  # PyTorch's, on every Wishart
def test_samplers_draw_what_pytorch_draws_to_rounding(name):
    ulps, draw = ROUNDED_DRAWS[name]
    torch.manual_seed(3)
    tg.manual_seed(3)
    expected = [draw(torch).numpy() for _ in range(3)]  # three calls: the stream moves on
    got = [draw(tg).numpy() for _ in range(3)]
    for e, g in zip(expected, got):
        assert g.dtype == e.dtype
        atol = ulps * np.finfo(e.dtype).eps * np.abs(e).max()
        np.testing.assert_allclose(g, e, rtol=0, atol=atol)


@mkl_on_intel
@pytest.mark.parametrize("name", list(MKL_DRAWS))
def test_bernoulli_and_exponential_draw_what_pytorch_draws(name):
    _pair(lambda: MKL_DRAWS[name](torch), lambda: MKL_DRAWS[name](tg), seed=5)


@pytest.mark.parametrize("seed", [0, 1, 2**32 + 7, 67280421310721])
def test_any_seed_is_pytorchs(seed):
    _pair(lambda: torch.randn(20), lambda: tg.randn(20), seed=seed)


def test_private_generators_are_pytorchs():
    g_torch, g_tg = torch.Generator().manual_seed(11), tg.Generator().manual_seed(11)
    expected = torch.randn(50, generator=g_torch), torch.randperm(9, generator=g_torch)
    got = tg.randn(50, generator=g_tg), tg.randperm(9, generator=g_tg)
    for e, g in zip(expected, got):
        np.testing.assert_array_equal(g.numpy(), e.numpy())


LAYERS = {
    "Linear": lambda nn: nn.Linear(20, 30),
    "Bilinear": lambda nn: nn.Bilinear(4, 5, 6),
    "Conv1d": lambda nn: nn.Conv1d(3, 8, 5),
    "Conv2d": lambda nn: nn.Conv2d(3, 16, 3, groups=1),
    "ConvTranspose2d": lambda nn: nn.ConvTranspose2d(4, 6, 3, stride=2),
    "Embedding": lambda nn: nn.Embedding(50, 16),
    "RNN": lambda nn: nn.RNN(6, 10, num_layers=2),
    "LSTM": lambda nn: nn.LSTM(6, 10, bidirectional=True),
    "GRU": lambda nn: nn.GRU(6, 10),
    "MultiheadAttention": lambda nn: nn.MultiheadAttention(16, 4),
    "TransformerEncoderLayer": lambda nn: nn.TransformerEncoderLayer(16, 4, 32),
    "PReLU and LayerNorm": lambda nn: nn.Sequential(nn.PReLU(), nn.LayerNorm(8)),
}


@pytest.mark.parametrize("name", list(LAYERS))
def test_layers_initialise_pytorchs_weights(name):
    torch.manual_seed(0)
    expected = LAYERS[name](torch.nn).state_dict()
    tg.manual_seed(0)
    got = LAYERS[name](tg.nn).state_dict()
    assert list(got) == list(expected)
    for key, value in expected.items():
        np.testing.assert_array_equal(got[key].numpy(), value.numpy(), err_msg=key)


INITS = {
    "xavier_uniform_": lambda init, w: init.xavier_uniform_(w, gain=2.0),
    "xavier_normal_": lambda init, w: init.xavier_normal_(w),
    "kaiming_uniform_": lambda init, w: init.kaiming_uniform_(w, nonlinearity="relu"),
    "kaiming_normal_": lambda init, w: init.kaiming_normal_(w, mode="fan_out"),
    "trunc_normal_": lambda init, w: init.trunc_normal_(w, std=0.02),
    "trunc_normal_ tail": lambda init, w: init.trunc_normal_(w, mean=0.0, std=1.0, a=2.0, b=3.0),
    "sparse_": lambda init, w: init.sparse_(w, 0.3),
}


@pytest.mark.parametrize("name", list(INITS))
def test_init_functions_draw_what_pytorch_draws(name):
    _pair(
        lambda: INITS[name](torch.nn.init, torch.empty(24, 18)),
        lambda: INITS[name](tg.nn.init, tg.empty(24, 18)),
    )


def test_orthogonal_init_is_pytorchs_to_float32_rounding():
    torch.manual_seed(0)
    tg.manual_seed(0)
    e = torch.nn.init.orthogonal_(torch.empty(6, 10)).numpy()
    g = tg.nn.init.orthogonal_(tg.empty(6, 10)).numpy()
    np.testing.assert_allclose(g, e, atol=2e-6)  # the same draws; QR in float64 here


@mkl_on_intel
@pytest.mark.parametrize("p", [0.1, 0.5, 0.77])
@pytest.mark.parametrize("name", ["dropout", "dropout2d", "alpha_dropout"])
def test_dropout_drops_pytorchs_elements(name, p):
    shape = (4, 6, 5, 5) if name == "dropout2d" else (64, 33)
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    _pair(
        lambda: getattr(torch.nn.functional, name)(torch.tensor(x), p, True),
        lambda: getattr(tg.nn.functional, name)(tg.tensor(x), p, True),
        seed=7,
    )


@mkl_on_intel
def test_rrelu_draws_pytorchs_slopes():
    x = np.random.default_rng(1).standard_normal(200).astype(np.float32)
    _pair(
        lambda: torch.nn.functional.rrelu(torch.tensor(x), training=True),
        lambda: tg.nn.functional.rrelu(tg.tensor(x), training=True),
    )


@pytest.mark.parametrize("replacement", [False, True])
def test_dataloader_shuffles_in_pytorchs_order(replacement):
    def order(lib, data):
        lib.manual_seed(4)
        dataset = data.TensorDataset(lib.arange(50))
        sampler = data.RandomSampler(dataset, replacement, num_samples=70)
        shuffled = data.DataLoader(dataset, batch_size=8, shuffle=True)
        sampled = data.DataLoader(dataset, batch_size=8, sampler=sampler)
        epochs = [[b.tolist() for (b,) in loader] for loader in (shuffled, shuffled, sampled)]
        split = data.random_split(range(10), [0.3, 0.7])
        subset = list(data.SubsetRandomSampler([3, 5, 7, 9]))
        weighted = list(data.WeightedRandomSampler([0.5, 2.0, 0.0, 1.0, 3.0], 12))
        return epochs, [list(s.indices) for s in split], subset, weighted, lib.rand(2).tolist()

    assert order(tg, tg.data) == order(torch, torch.utils.data)


def test_rng_states_load_in_either_library():
    torch.manual_seed(9)
    torch.randn(3, dtype=torch.float64)  # leaves a cached normal in the state
    tg.set_rng_state(tg.tensor(torch.get_rng_state().numpy()))
    np.testing.assert_array_equal(tg.randn(40).numpy(), torch.randn(40).numpy())
    tg.randn(5)  # leaves a cached normal
    state = tg.get_rng_state()
    torch.set_rng_state(torch.from_numpy(state.numpy()))
    np.testing.assert_array_equal(torch.get_rng_state().numpy(), state.numpy())
    np.testing.assert_array_equal(torch.randn(7).numpy(), tg.randn(7).numpy())


@pytest.mark.parametrize("draws", [0, 5, 624, 700])
def test_the_saved_state_is_pytorchs_byte_for_byte(draws):
    torch.manual_seed(123)
    tg.manual_seed(123)
    torch.rand(draws)
    tg.rand(draws)
    np.testing.assert_array_equal(tg.get_rng_state().numpy(), torch.get_rng_state().numpy())


def test_a_state_saved_before_pytorchs_stream_restarts_from_its_seed():
    old = np.zeros(48, np.uint8)  # PCG64 state, increment, flags, then the seed 77
    old[40:48] = np.frombuffer((77).to_bytes(8, "little"), np.uint8)
    with pytest.warns(UserWarning, match="older tensorgrad"):
        tg.set_rng_state(tg.tensor(old))
    assert tg.initial_seed() == 77
    restarted = tg.rand(4).numpy()
    tg.manual_seed(77)
    np.testing.assert_array_equal(restarted, tg.rand(4).numpy())


def test_distributed_sampler_shards_pytorchs_permutation():
    dataset = list(range(23))
    expected = torch.utils.data.DistributedSampler(dataset, 3, 1, shuffle=True, seed=5)
    got = tg.distributed.DistributedSampler(dataset, 3, 1, shuffle=True, seed=5)
    for sampler in (expected, got):
        sampler.set_epoch(2)
    assert list(got) == list(expected)


class _Noisy:
    """Items drawn in the workers from each of the three generators a worker seeds."""

    def __init__(self, lib):
        self.lib = lib

    def __len__(self):
        return 8

    def __getitem__(self, i):
        return [np.random.random(), random.random(), self.lib.rand(1).item()]


def test_dataloader_workers_seed_as_pytorchs():
    def items(lib, data):
        lib.manual_seed(2)
        loader = data.DataLoader(_Noisy(lib), batch_size=2, num_workers=2, collate_fn=list)
        return [item for batch in loader for item in batch]

    assert items(tg, tg.data) == items(torch, torch.utils.data)
