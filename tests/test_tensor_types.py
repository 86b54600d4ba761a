"""PyTorch's legacy typed constructors (``tensorgrad/tensor_types.py``), against PyTorch."""

import numpy as np
import pytest

import tensorgrad as tg

torch = pytest.importorskip("torch")

NAMES = (
    "FloatTensor DoubleTensor HalfTensor LongTensor IntTensor ShortTensor "
    "CharTensor ByteTensor BoolTensor"
).split()


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize(
    "data",
    [[1.7, 2.0, 0.0], [[1, 0], [3, 4]], np.array([0.5, 2.5]), np.array([1, 2], np.int32)],
    ids=["floats", "ints", "float64 array", "int32 array"],
)
def test_typed_constructor_converts_data_as_pytorch(name, data):
    got, want = getattr(tg, name)(data), getattr(torch, name)(data)
    assert str(got.dtype).split(".")[1] == str(want.dtype).split(".")[1]
    np.testing.assert_array_equal(got.float().numpy(), want.float().numpy())
    assert got.type() == want.type() == f"torch.{name}"


def test_typed_constructor_of_sizes_and_of_nothing():
    assert tg.LongTensor(2, 3).shape == tuple(torch.LongTensor(2, 3).shape) == (2, 3)
    assert tg.LongTensor(2, 3).dtype == tg.int64
    assert tg.FloatTensor().shape == tuple(torch.FloatTensor().shape) == (0,)
    assert tg.FloatTensor([1.0], device="cpu").device == tg.device("cpu")


def test_float_tensor_is_float32_whatever_the_default_dtype():
    tg.set_default_dtype(tg.float64)
    try:
        assert tg.FloatTensor([1.0]).dtype == tg.float32
        assert tg.Tensor([1.0]).dtype == tg.float64
    finally:
        tg.set_default_dtype(tg.float32)


def test_typed_constructor_of_a_tensor_shares_it_or_raises_for_another_dtype():
    t = tg.zeros(2)
    assert tg.FloatTensor(t).data_ptr() == t.data_ptr()
    with pytest.raises(TypeError, match="FloatTensor.*float32.*int64"):
        tg.FloatTensor(tg.zeros(2, dtype=tg.int64))
    with pytest.raises(TypeError):
        torch.FloatTensor(torch.zeros(2, dtype=torch.int64))
    # the untyped constructor keeps the tensor's dtype, as PyTorch's
    assert tg.Tensor(tg.zeros(2, dtype=tg.int64)).dtype == tg.int64
    assert torch.Tensor(torch.zeros(2, dtype=torch.int64)).dtype == torch.int64


def test_isinstance_and_type_conversion():
    for lib in (tg, torch):
        assert isinstance(lib.zeros(2), lib.FloatTensor)
        assert not isinstance(lib.zeros(2, dtype=lib.int64), lib.FloatTensor)
        assert isinstance(lib.zeros(2, dtype=lib.int64), lib.LongTensor)
        assert not isinstance(lib.zeros(2), lib.cuda.FloatTensor)
        assert not issubclass(lib.FloatTensor, lib.Tensor)
        assert type(lib.FloatTensor([1.0])) is lib.Tensor
        assert lib.ones(2).type(lib.LongTensor).dtype == lib.int64
        assert lib.cuda.FloatTensor.is_cuda and not lib.FloatTensor.is_cuda
        assert lib.cuda.LongTensor.dtype == lib.int64
    assert repr(tg.LongTensor) == repr(torch.LongTensor) == "<class 'torch.LongTensor'>"


def test_bfloat16_tensor_is_a_bfloat16_tensor():
    pytest.importorskip("ml_dtypes")
    t = tg.BFloat16Tensor([1.0, 1 / 3])
    assert t.dtype == tg.bfloat16 and isinstance(t, tg.BFloat16Tensor)
    assert t.tolist() == torch.BFloat16Tensor([1.0, 1 / 3]).tolist()
    assert t.type() == "torch.BFloat16Tensor"
