"""tensorgrad.data against torch.utils.data: samplers, collation, loader semantics, workers."""

import collections
import os
import time

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import tensorgrad as tg
from tensorgrad.data import (
    BatchSampler,
    ConcatDataset,
    DataLoader,
    Dataset,
    IterableDataset,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
    default_collate,
    get_worker_info,
    random_split,
)

from .conftest import cuda_available

Point = collections.namedtuple("Point", "x y")


def _indices(loader):
    """The sample ids a loader over TensorDataset(arange(n)) yields, batch by batch."""
    return [b[0].tolist() for b in loader]


def _range_ds(n):
    return TensorDataset(tg.arange(n), tg.arange(n).float() * 2)


# --------------------------------------------------------------------------------------------
# datasets


def test_tensor_dataset_items_and_size_mismatch():
    ds = _range_ds(5)
    assert len(ds) == 5
    x, y = ds[3]
    assert x.item() == 3 and y.item() == 6.0
    with pytest.raises(ValueError, match=r"Size mismatch.*\[5, 4\]"):
        TensorDataset(tg.zeros(5, 2), tg.zeros(4))
    with pytest.raises(TypeError, match="not a Tensor"):
        TensorDataset(np.zeros(3))


def test_subset_and_concat():
    ds = _range_ds(6)
    sub = Subset(ds, [4, 0, 2])
    assert len(sub) == 3 and [sub[i][0].item() for i in range(3)] == [4, 0, 2]
    cat = ConcatDataset([_range_ds(2), Subset(ds, [5, 3]), _range_ds(3)])
    ref = tud.ConcatDataset([range(2), [5, 3], range(3)])
    assert len(cat) == len(ref) == 7
    assert cat.cumulative_sizes == ref.cumulative_sizes
    assert [cat[i][0].item() for i in range(-7, 7)] == [ref[i] for i in range(-7, 7)]
    assert len(_range_ds(2) + _range_ds(3)) == 5


def test_random_split_fractions_like_torch():
    for n, fracs in [(10, [0.33, 0.33, 0.34]), (7, [0.5, 0.5]), (11, [0.1, 0.2, 0.3, 0.4])]:
        ours = random_split(_range_ds(n), fracs)
        theirs = tud.random_split(range(n), fracs)
        assert [len(s) for s in ours] == [len(s) for s in theirs]
        ids = sorted(i for s in ours for i in s.indices)
        assert ids == list(range(n))


def test_random_split_lengths_errors_and_generator():
    a = random_split(_range_ds(10), [3, 7], generator=tg.Generator().manual_seed(5))
    b = random_split(_range_ds(10), [3, 7], generator=tg.Generator().manual_seed(5))
    assert [s.indices for s in a] == [s.indices for s in b]
    assert sorted(a[0].indices + a[1].indices) == list(range(10))
    tg.manual_seed(3)
    c = random_split(_range_ds(10), [5, 5])
    tg.manual_seed(3)
    assert [s.indices for s in random_split(_range_ds(10), [5, 5])] == [s.indices for s in c]
    with pytest.raises(ValueError, match="Sum of input lengths"):
        random_split(_range_ds(10), [3, 3])
    with pytest.raises(ValueError, match="not between 0 and 1"):
        random_split(_range_ds(10), [1.5, -0.5])


# --------------------------------------------------------------------------------------------
# samplers


def test_samplers_match_torch_semantics():
    data = list(range(10))
    assert list(SequentialSampler(data)) == list(tud.SequentialSampler(data))
    perm = list(RandomSampler(data))
    assert sorted(perm) == data and len(RandomSampler(data)) == 10
    with_repl = list(RandomSampler(data, replacement=True, num_samples=25))
    assert len(with_repl) == 25 and all(0 <= i < 10 for i in with_repl)
    more = list(RandomSampler(data, num_samples=23))  # chained permutations, as torch
    assert len(more) == 23 and sorted(more[:20]) == sorted(data * 2)
    assert len(RandomSampler(data, num_samples=23)) == len(tud.RandomSampler(data, num_samples=23))
    for bs in (1, 3, 4, 10, 11):
        for drop_last in (False, True):
            ours = BatchSampler(SequentialSampler(data), bs, drop_last)
            theirs = tud.BatchSampler(tud.SequentialSampler(data), bs, drop_last)
            assert list(ours) == list(theirs) and len(ours) == len(theirs)


@pytest.mark.parametrize(
    "make",
    [
        lambda m: m.RandomSampler(range(3), replacement=1),
        lambda m: m.RandomSampler(range(3), num_samples=0),
        lambda m: m.RandomSampler(range(3), num_samples=1.5),
        lambda m: m.BatchSampler(range(3), 0, False),
        lambda m: m.BatchSampler(range(3), True, False),
        lambda m: m.BatchSampler(range(3), 2, "no"),
    ],
)
def test_sampler_argument_errors_like_torch(make):
    with pytest.raises(Exception) as theirs:
        make(tud)
    import tensorgrad.data as tgd

    with pytest.raises(type(theirs.value)):
        make(tgd)


def test_random_sampler_generator_and_epochs():
    s = RandomSampler(range(20), generator=tg.Generator().manual_seed(1))
    e1, e2 = list(s), list(s)
    assert e1 != e2  # a fresh permutation each epoch
    s2 = RandomSampler(range(20), generator=tg.Generator().manual_seed(1))
    assert [list(s2), list(s2)] == [e1, e2]


# --------------------------------------------------------------------------------------------
# collation against torch's default_collate


def _to_torch(x):
    if isinstance(x, tg.Tensor):
        return torch.from_numpy(x.numpy().copy())
    if isinstance(x, dict):
        return {k: _to_torch(v) for k, v in x.items()}
    if isinstance(x, Point):
        return Point(*map(_to_torch, x))
    if isinstance(x, (list, tuple)):
        return type(x)(map(_to_torch, x))
    return x


def _assert_same(ours, theirs):
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, tg.Tensor), type(ours)
        assert tuple(ours.shape) == tuple(theirs.shape)
        assert str(ours.dtype).split(".")[-1] == str(theirs.dtype).split(".")[-1]
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and ours.keys() == theirs.keys()
        for k in theirs:
            _assert_same(ours[k], theirs[k])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            _assert_same(a, b)
    else:
        assert ours == theirs


def _samples(kind):
    r = np.random.default_rng(0)
    make = {
        "tensor_int_pairs": lambda i: (tg.tensor(r.standard_normal((2, 3)).astype("f4")), i),
        "floats": lambda i: float(i) / 3,
        "ints": lambda i: i,
        "bools": lambda i: i % 2 == 0,
        "np_arrays": lambda i: r.integers(0, 9, (4,)).astype(np.int32),
        "np_float64": lambda i: r.standard_normal((2, 2)),
        "np_scalars": lambda i: np.float32(i),
        "strings": lambda i: f"s{i}",
        "dicts": lambda i: {"a": tg.tensor([i, i + 1]), "b": [float(i), i], "name": str(i)},
        "namedtuples": lambda i: Point(tg.tensor(float(i)), np.int16(i)),
        "nested": lambda i: [(i, {"k": tg.tensor([[i]])}), [np.array([i], dtype=np.uint8)]],
        "float64_tensors": lambda i: tg.tensor([float(i)], dtype=tg.float64),
        # a field of strings in tuple samples comes back a tuple, as PyTorch's zip(*batch)
        "tuples_with_strings": lambda i: (np.full(2, i, "f4"), float(i), i, f"row{i}"),
        "lists_with_strings": lambda i: [f"a{i}", [f"b{i}", i]],
    }[kind]
    return [make(i) for i in range(3)]


@pytest.mark.parametrize(
    "kind",
    "tensor_int_pairs floats ints bools np_arrays np_float64 np_scalars strings dicts "
    "namedtuples nested float64_tensors tuples_with_strings lists_with_strings".split(),
)
def test_default_collate_matches_torch(kind):
    samples = _samples(kind)
    theirs = tud.default_collate(
        [_to_torch(s) if not isinstance(s, np.ndarray) else s for s in samples]
    )
    _assert_same(default_collate(samples), theirs)


def test_default_collate_errors():
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([tg.zeros(2), tg.zeros(3)])
    with pytest.raises(RuntimeError, match="equal size"):
        default_collate([[1, 2], [1]])
    with pytest.raises(TypeError, match="found <class 'object'>"):
        default_collate([object(), object()])


def test_collate_keeps_the_graph_for_tensors_that_require_grad():
    w = tg.ones(2, requires_grad=True)
    batch = default_collate([w * 2, w * 3])
    batch.sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [5.0, 5.0])


# --------------------------------------------------------------------------------------------
# the loader


@pytest.mark.parametrize("n,bs", [(10, 3), (12, 4), (7, 10), (5, 1)])
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("drop_last", [False, True])
def test_every_sample_once_per_epoch(n, bs, shuffle, drop_last):
    loader = DataLoader(_range_ds(n), batch_size=bs, shuffle=shuffle, drop_last=drop_last)
    ref = tud.DataLoader(range(n), batch_size=bs, shuffle=shuffle, drop_last=drop_last)
    assert len(loader) == len(ref)
    for _ in range(2):
        batches = _indices(loader)
        assert len(batches) == len(loader)
        assert [len(b) for b in batches] == [len(b) for b in ref]
        flat = [i for b in batches for i in b]
        assert len(set(flat)) == len(flat)
        if not drop_last:
            assert sorted(flat) == list(range(n))
        if not shuffle:
            assert flat == list(range(len(flat)))


def test_batch_shapes_dtypes_and_fast_path_equals_per_sample_path():
    x = tg.randn(11, 3, 2)
    y = tg.randint(0, 5, (11,))
    ds = TensorDataset(x, y)
    fast = list(DataLoader(ds, batch_size=4, shuffle=True, generator=tg.Generator().manual_seed(0)))
    slow = list(
        DataLoader(
            ds,
            batch_size=4,
            shuffle=True,
            generator=tg.Generator().manual_seed(0),
            collate_fn=lambda b: default_collate(b),  # not the default: per-sample path
        )
    )
    for (fx, fy), (sx, sy) in zip(fast, slow):
        assert fx.shape == sx.shape and fx.dtype == sx.dtype == tg.float32
        assert fy.dtype == sy.dtype == tg.int64
        np.testing.assert_array_equal(fx.numpy(), sx.numpy())
        np.testing.assert_array_equal(fy.numpy(), sy.numpy())
    assert [tuple(b[0].shape) for b in fast] == [(4, 3, 2), (4, 3, 2), (3, 3, 2)]


def test_fast_path_through_subset_and_custom_getitem():
    class Doubled(TensorDataset):
        def __getitem__(self, i):
            return (self.tensors[0][i] * 2,)

    ds = Doubled(tg.arange(6))
    assert [b[0].tolist() for b in DataLoader(ds, batch_size=3)] == [[0, 2, 4], [6, 8, 10]]
    sub = Subset(_range_ds(10), [9, 1, 5])
    assert _indices(DataLoader(sub, batch_size=2)) == [[9, 1], [5]]
    nested = Subset(Subset(_range_ds(20), range(19, 0, -3)), [0, 2, 4])
    assert _indices(DataLoader(nested, batch_size=2)) == [[19, 13], [7]]
    sub.indices = [0, 8]  # a new indices object is picked up
    assert _indices(DataLoader(sub, batch_size=2)) == [[0, 8]]


def test_shuffle_reproducible_under_manual_seed_and_rng_state():
    loader = DataLoader(_range_ds(20), batch_size=5, shuffle=True)
    tg.manual_seed(7)
    e1, e2 = _indices(loader), _indices(loader)
    assert e1 != e2
    tg.manual_seed(7)
    assert [_indices(loader), _indices(loader)] == [e1, e2]
    state = tg.get_rng_state()
    e3 = _indices(loader)
    tg.randn(3)  # other draws in between change the next epoch...
    tg.set_rng_state(state)  # ...unless the state is restored, as a checkpoint does
    assert _indices(loader) == e3


def test_generator_argument_is_independent_of_the_default_generator():
    def epoch(consume):
        loader = DataLoader(
            _range_ds(16), batch_size=4, shuffle=True, generator=tg.Generator().manual_seed(2)
        )
        tg.manual_seed(consume)
        before = tg.get_rng_state().numpy().copy()
        out = _indices(loader)
        np.testing.assert_array_equal(tg.get_rng_state().numpy(), before)  # untouched
        return out

    assert epoch(0) == epoch(1)


def test_batch_size_none_and_batch_sampler():
    ds = _range_ds(3)
    items = list(DataLoader(ds, batch_size=None))
    assert len(items) == 3 and items[1][0].item() == 1 and items[1][0].ndim == 0
    arrays = list(DataLoader([np.arange(2), np.arange(2) + 5], batch_size=None))
    assert isinstance(arrays[1], tg.Tensor) and arrays[1].tolist() == [5, 6]
    bs = BatchSampler(SequentialSampler(range(5)), 2, True)
    loader = DataLoader(_range_ds(5), batch_sampler=bs)
    assert len(loader) == 2 and _indices(loader) == [[0, 1], [2, 3]]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"shuffle": True, "sampler": [0, 1]},
        {"batch_sampler": [[0]], "batch_size": 2},
        {"batch_sampler": [[0]], "shuffle": True},
        {"batch_sampler": [[0]], "drop_last": True},
        {"batch_sampler": [[0]], "sampler": [0]},
        {"batch_size": None, "drop_last": True},
        {"num_workers": -1},
        {"timeout": -1},
        {"batch_size": 0},
    ],
)
def test_loader_argument_errors_like_torch(kwargs):
    with pytest.raises(ValueError):
        tud.DataLoader(range(4), **kwargs)
    with pytest.raises(ValueError):
        DataLoader(_range_ds(4), **kwargs)


class Stream(IterableDataset):
    def __init__(self, n, length=True):
        self.n = n
        self.length = length

    def __iter__(self):
        info = get_worker_info()
        start, step = (0, 1) if info is None else (info.id, info.num_workers)
        return iter(range(start, self.n, step))

    def __len__(self):
        return self.n


def test_iterable_dataset_with_batch_size():
    assert [b.tolist() for b in DataLoader(Stream(10), batch_size=4)] == [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [8, 9],
    ]
    assert [b.tolist() for b in DataLoader(Stream(10), batch_size=4, drop_last=True)] == [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
    ]
    assert len(DataLoader(Stream(10), batch_size=4)) == len(tud.DataLoader(range(10), batch_size=4))
    assert len(DataLoader(Stream(10), batch_size=4, drop_last=True)) == 2
    items = list(DataLoader(Stream(3), batch_size=None))
    assert items == [0, 1, 2]
    for kwargs in ({"shuffle": True}, {"sampler": [0]}, {"batch_sampler": [[0]]}):
        with pytest.raises(ValueError, match="IterableDataset"):
            DataLoader(Stream(3), **kwargs)


def test_device_cpu_and_cuda():
    (x,) = next(iter(DataLoader(TensorDataset(tg.ones(4, 2)), batch_size=2, device="cpu")))
    assert x.device == tg.device("cpu")
    if not cuda_available():
        pytest.skip("no CUDA device")
    x, y = next(iter(DataLoader(_range_ds(4), batch_size=4, device="cuda")))
    assert x.device.type == "cuda" and y.device.type == "cuda"
    assert type(x.array) is not np.ndarray and x.tolist() == [0, 1, 2, 3]


# --------------------------------------------------------------------------------------------
# worker processes


class Noisy(Dataset):
    """Samples that depend on the worker's RNG: (index, worker seed, a tensorgrad draw)."""

    def __len__(self):
        return 12

    def __getitem__(self, i):
        info = get_worker_info()
        return i, -1 if info is None else info.seed, tg.rand(1)


def test_worker_loading_equals_in_process_loading():
    ds = TensorDataset(tg.randn(23, 3), tg.arange(23))
    tg.manual_seed(4)
    single = list(DataLoader(ds, batch_size=5, shuffle=True))
    tg.manual_seed(4)
    multi = list(DataLoader(ds, batch_size=5, shuffle=True, num_workers=2, timeout=20))
    assert len(single) == len(multi) == 5
    for (a, i), (b, j) in zip(single, multi):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        np.testing.assert_array_equal(i.numpy(), j.numpy())


def test_worker_seeding_and_init_fn(tmp_path):
    def run():
        tg.manual_seed(9)
        batches = list(
            DataLoader(
                Noisy(),
                batch_size=3,
                num_workers=2,
                timeout=20,
                worker_init_fn=lambda wid: (tmp_path / f"w{wid}").write_text(str(os.getpid())),
            )
        )
        return batches

    a, b = run(), run()
    seeds = [s.tolist() for _, s, _ in a]
    base = seeds[0][0]
    assert seeds == [[base] * 3, [base + 1] * 3, [base] * 3, [base + 1] * 3]  # round robin
    assert [i.tolist() for i, _, _ in a] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9, 10, 11]]
    for (_, _, r1), (_, _, r2) in zip(a, b):  # same manual_seed -> same worker draws
        np.testing.assert_array_equal(r1.numpy(), r2.numpy())
    assert not np.array_equal(a[0][2].numpy(), a[1][2].numpy())  # workers differ
    assert (tmp_path / "w0").exists() and (tmp_path / "w1").exists()


class Dies(Dataset):
    def __len__(self):
        return 8

    def __getitem__(self, i):
        if i == 5:
            os._exit(3)
        return i


def test_a_worker_that_dies_raises_a_clear_error():
    with pytest.raises(RuntimeError, match=r"DataLoader worker \d \(pid \d+\) exited unexpectedly"):
        list(DataLoader(Dies(), batch_size=2, num_workers=2, timeout=20))


class Fails(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        raise KeyError(f"bad sample {i}")


class Slow(Dataset):
    def __len__(self):
        return 2

    def __getitem__(self, i):
        time.sleep(5)
        return i


def test_worker_exception_and_timeout():
    with pytest.raises(KeyError, match="in DataLoader worker process 0.*bad sample 0"):
        list(DataLoader(Fails(), batch_size=2, num_workers=1, timeout=20))
    with pytest.raises(RuntimeError, match="timed out after 0.3 seconds"):
        list(DataLoader(Slow(), batch_size=1, num_workers=1, timeout=0.3))


def test_iterable_dataset_with_workers_sharded():
    loader = DataLoader(Stream(11), batch_size=2, num_workers=2, timeout=20)
    batches = [b.tolist() for b in loader]
    flat = sorted(i for b in batches for i in b)
    assert flat == list(range(11))
    assert batches[:2] == [[0, 2], [1, 3]]  # batches alternate between the workers, as torch


# --------------------------------------------------------------------------------------------
# SubsetRandomSampler, WeightedRandomSampler, DistributedSampler, ChainDataset, StackDataset


def test_subset_random_sampler_permutes_its_indices():
    from tensorgrad.data import SubsetRandomSampler

    idx = [7, 3, 11, 5, 2, 9]
    s = SubsetRandomSampler(idx, generator=tg.Generator().manual_seed(1))
    orders = [list(s) for _ in range(4)]
    assert all(sorted(o) == sorted(idx) for o in orders)
    assert len({tuple(o) for o in orders}) > 1  # a new order every epoch
    again = SubsetRandomSampler(idx, generator=tg.Generator().manual_seed(1))
    assert [list(again) for _ in range(4)] == orders  # the generator reproduces them
    assert len(s) == len(tud.SubsetRandomSampler(idx)) == 6
    tg.manual_seed(3)
    a = list(SubsetRandomSampler(range(10)))
    tg.manual_seed(3)
    assert list(SubsetRandomSampler(range(10))) == a  # the default generator, seeded


def test_weighted_sampler_with_replacement_has_the_weights_distribution():
    from tensorgrad.data import WeightedRandomSampler

    weights = [0.1, 0.9, 0.4, 0.7, 3.0, 0.0, 0.6]
    n = 40_000
    s = WeightedRandomSampler(weights, n, generator=tg.Generator().manual_seed(0))
    counts = np.bincount(list(s), minlength=len(weights))
    p = np.array(weights) / sum(weights)
    assert counts[5] == 0  # a zero weight is never drawn
    # each count within 5 standard deviations of n p
    np.testing.assert_array_less(np.abs(counts - n * p), 5 * np.sqrt(n * p * (1 - p)) + 1e-9)
    assert len(s) == n


def test_weighted_sampler_without_replacement_matches_sequential_draws():
    """P(first = i, second = j) = w_i / W * w_j / (W - w_i): torch.multinomial's law without
    replacement; checked on 20000 draws of two."""
    from tensorgrad.data import WeightedRandomSampler

    weights = np.array([1.0, 2.0, 3.0, 4.0])
    s = WeightedRandomSampler(
        weights, 2, replacement=False, generator=tg.Generator().manual_seed(2)
    )
    trials = 20_000
    pairs = np.zeros((4, 4))
    for _ in range(trials):
        i, j = list(s)
        pairs[i, j] += 1
    w = weights / weights.sum()
    expected = w[:, None] * w[None, :] / (1 - w[:, None]) * (1 - np.eye(4))
    assert np.all(np.diag(pairs) == 0)  # no index twice
    sd = np.sqrt(trials * expected * (1 - expected))
    np.testing.assert_array_less(np.abs(pairs - trials * expected), 5 * sd + 1e-9)
    full = WeightedRandomSampler([0.9, 0.4, 0.05, 0.2, 0.3, 0.1], 6, replacement=False)
    assert sorted(full) == list(range(6))


def test_weighted_sampler_generator_reproduces_and_errors_match_torch():
    from tensorgrad.data import WeightedRandomSampler

    def draws(seed):
        s = WeightedRandomSampler(
            tg.tensor([1.0, 5.0, 2.0]), 8, generator=tg.Generator().manual_seed(seed)
        )
        return [list(s) for _ in range(3)]

    assert draws(4) == draws(4) and draws(4) != draws(5)
    for kwargs, message in [
        (dict(weights=[1.0, 2.0], num_samples=0), "num_samples should be a positive integer"),
        (dict(weights=[1.0, 2.0], num_samples=True), "num_samples should be a positive integer"),
        (dict(weights=[1.0, 2.0], num_samples=2, replacement=1), "replacement should be a boolean"),
        (dict(weights=[[1.0, 2.0]], num_samples=2), r"weights should be a 1d sequence"),
    ]:
        with pytest.raises(ValueError, match=message):
            WeightedRandomSampler(**kwargs)
        with pytest.raises(ValueError, match=message):
            tud.WeightedRandomSampler(**kwargs)
    s = WeightedRandomSampler([1.0, 2.0], 3, replacement=False)
    with pytest.raises(RuntimeError, match="without replacement"):
        list(s)  # as torch.multinomial, at draw time
    assert s.weights.dtype == tg.float64


def test_distributed_sampler_is_torch_utils_data_name_and_matches_torch_without_shuffle():
    from tensorgrad.data import DistributedSampler
    from tensorgrad.distributed import DistributedSampler as dist_sampler

    assert DistributedSampler is dist_sampler
    for n, replicas, drop_last in [(10, 3, False), (10, 3, True), (7, 4, False), (12, 4, True)]:
        for rank in range(replicas):
            ours = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
            theirs = tud.DistributedSampler(
                range(n), replicas, rank, shuffle=False, drop_last=drop_last
            )
            assert list(ours) == list(theirs) and len(ours) == len(theirs)


def test_distributed_sampler_shuffle_is_a_deterministic_partition_per_seed_and_epoch():
    from tensorgrad.data import DistributedSampler

    n, replicas = 11, 3

    def shards(seed, epoch, drop_last=False):
        out = []
        for rank in range(replicas):
            s = DistributedSampler(range(n), replicas, rank, seed=seed, drop_last=drop_last)
            s.set_epoch(epoch)
            out.append(list(s))
        return out

    a = shards(0, 0)
    assert a == shards(0, 0)  # every rank computes the same permutation from (seed, epoch)
    assert a != shards(0, 1) and a != shards(1, 0)
    # a partition of the padded list: every sample once, 12 - 11 = 1 padded repeat
    flat = sorted(i for shard in a for i in shard)
    assert set(flat) == set(range(n)) and len(flat) == 12
    kept = [i for shard in shards(0, 2, drop_last=True) for i in shard]
    assert len(kept) == len(set(kept)) == 9  # drop_last: the tail is dropped, no repeat


def test_distributed_sampler_reads_world_size_and_rank(monkeypatch):
    from tensorgrad.data import DistributedSampler
    from tensorgrad.distributed import process_group as pg

    class Group:  # an initialised process group of 4 ranks, this one rank 2
        world_size, rank = 4, 2

    monkeypatch.setattr(pg, "_group", Group())
    s = DistributedSampler(range(8), shuffle=False)
    assert (s.num_replicas, s.rank) == (4, 2) and list(s) == [2, 6]


def test_loader_with_the_new_samplers():
    from tensorgrad.data import DistributedSampler, SubsetRandomSampler, WeightedRandomSampler

    ds = _range_ds(10)
    got = _indices(DataLoader(ds, batch_size=4, sampler=SubsetRandomSampler([1, 3, 5, 7, 9])))
    assert [len(b) for b in got] == [4, 1] and sorted(sum(got, [])) == [1, 3, 5, 7, 9]
    got = _indices(
        DataLoader(ds, batch_size=3, sampler=WeightedRandomSampler([0.0] * 9 + [1.0], 6))
    )
    assert got == [[9, 9, 9], [9, 9, 9]]
    got = _indices(
        DataLoader(ds, batch_size=2, sampler=DistributedSampler(ds, 2, 1, shuffle=False))
    )
    assert got == [[1, 3], [5, 7], [9]]
    batches = BatchSampler(SubsetRandomSampler([0, 2, 4, 6]), 2, drop_last=False)
    got = _indices(DataLoader(ds, batch_sampler=batches))
    assert len(got) == 2 and sorted(sum(got, [])) == [0, 2, 4, 6]


class _Stream(IterableDataset):
    def __init__(self, start, stop):
        self.start, self.stop = start, stop

    def __iter__(self):
        return iter(range(self.start, self.stop))

    def __len__(self):
        return self.stop - self.start


def test_chain_dataset_like_torch():
    from tensorgrad.data import ChainDataset

    chain = ChainDataset([_Stream(0, 3), _Stream(10, 12)])

    class TorchStream(tud.IterableDataset):
        def __init__(self, start, stop):
            self.start, self.stop = start, stop

        def __iter__(self):
            return iter(range(self.start, self.stop))

        def __len__(self):
            return self.stop - self.start

    ref = tud.ChainDataset([TorchStream(0, 3), TorchStream(10, 12)])
    assert list(chain) == list(ref) == [0, 1, 2, 10, 11] and len(chain) == len(ref) == 5
    assert list(_Stream(0, 2) + _Stream(5, 6)) == [0, 1, 5]  # IterableDataset + IterableDataset
    loader = DataLoader(chain, batch_size=2)
    assert [b.tolist() for b in loader] == [[0, 1], [2, 10], [11]] and len(loader) == 3
    with pytest.raises(AssertionError, match="only supports IterableDataset"):
        list(ChainDataset([_Stream(0, 1), _range_ds(2)]))
    with pytest.raises(AssertionError, match="only supports IterableDataset"):
        len(ChainDataset([_range_ds(2)]))


def test_stack_dataset_tuple_and_dict_forms():
    from tensorgrad.data import StackDataset

    a, b = _range_ds(5), TensorDataset(tg.arange(5) * 10)
    tup = StackDataset(a, b)
    assert len(tup) == 5
    (x, y), (z,) = tup[3]
    assert (x.item(), y.item(), z.item()) == (3, 6.0, 30)
    named = StackDataset(pair=a, ten=b)
    item = named[2]
    assert set(item) == {"pair", "ten"} and item["ten"][0].item() == 20
    # the loader collates them as PyTorch's does: per field, the dict keeps its keys
    batch = next(iter(DataLoader(named, batch_size=3)))
    assert batch["pair"][0].tolist() == [0, 1, 2] and batch["ten"][0].tolist() == [0, 10, 20]
    batch = next(iter(DataLoader(tup, batch_size=2, shuffle=False)))
    assert batch[0][1].tolist() == [0.0, 2.0] and batch[1][0].tolist() == [0, 10]
    for msg, args, kwargs in [
        ("both types are given", (a,), dict(b=b)),
        ("At least one dataset", (), {}),
        ("Size mismatch", (a, _range_ds(4)), {}),
    ]:
        with pytest.raises(ValueError, match=msg):
            StackDataset(*args, **kwargs)


def test_stack_dataset_batches_equal_torch_and_per_sample_collation():
    """The one-fancy-index fast path and __getitems__ give what collating sample by sample
    gives, and what PyTorch gives."""
    from tensorgrad.data import StackDataset

    xs = np.arange(12.0).reshape(6, 2)
    ys = np.arange(6)
    ours = StackDataset(x=TensorDataset(tg.tensor(xs)), y=[int(v) for v in ys])
    theirs = tud.StackDataset(x=tud.TensorDataset(torch.tensor(xs)), y=[int(v) for v in ys])
    idx = [4, 0, 5]
    fast = default_collate(ours.__getitems__(idx))
    slow = default_collate([ours[i] for i in idx])
    ref = tud.default_collate(theirs.__getitems__(idx))
    for batch in (fast, slow):
        assert batch["x"][0].tolist() == ref["x"][0].tolist()
        assert batch["y"].tolist() == ref["y"].tolist()
    both = StackDataset(TensorDataset(tg.tensor(xs)), TensorDataset(tg.tensor(ys)))
    got = next(iter(DataLoader(both, batch_size=3, sampler=idx)))
    assert got[0][0].tolist() == xs[idx].tolist() and got[1][0].tolist() == ys[idx].tolist()


def test_torch_utils_data_names_reach_them():
    import tensorgrad.distributed
    from tensorgrad import as_torch

    with as_torch.installed():
        import torch.utils.data as data
        from torch.utils.data import DistributedSampler, StackDataset, WeightedRandomSampler

        assert StackDataset is tg.data.StackDataset
        assert WeightedRandomSampler is tg.data.WeightedRandomSampler
        assert DistributedSampler is tensorgrad.distributed.DistributedSampler
        assert data.SubsetRandomSampler is tg.data.SubsetRandomSampler
        assert data.ChainDataset is tg.data.ChainDataset


def test_dataloader_takes_torchs_signature_and_checks():
    import inspect

    ours = list(inspect.signature(DataLoader.__init__).parameters)[1:]
    theirs = list(inspect.signature(tud.DataLoader.__init__).parameters)[1:]
    assert ours[: len(theirs)] == theirs  # same order: positional calls bind the same
    ds = TensorDataset(tg.arange(10.0))
    loader = DataLoader(ds, 4, False, None, None, 0, None, True, True)  # pin_memory, drop_last
    assert loader.pin_memory and loader.drop_last and len(loader) == 2
    for kwargs in (dict(prefetch_factor=2), dict(persistent_workers=True)):
        with pytest.raises(ValueError) as expected:
            tud.DataLoader(tud.TensorDataset(torch.arange(10.0)), **kwargs)
        with pytest.raises(ValueError) as got:
            DataLoader(ds, **kwargs)
        assert str(got.value) == str(expected.value)
    batches = DataLoader(ds, batch_size=3, num_workers=2, prefetch_factor=1,
                         multiprocessing_context="fork", persistent_workers=True)  # fmt: skip
    assert [b[0].tolist() for b in batches] == [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
