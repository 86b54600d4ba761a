"""Memory formats change strides, never shapes or values: strides and contiguity as PyTorch's."""

import pickle

import numpy as np
import pytest

import tensorgrad as tg

torch = pytest.importorskip("torch")

FORMATS = ["contiguous_format", "channels_last", "channels_last_3d"]


@pytest.mark.parametrize("name", FORMATS)
@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (2, 3, 2, 4, 5), (2, 1, 3, 1)])
def test_contiguous_in_a_format_has_torch_strides(name, shape):
    x = np.random.default_rng(0).standard_normal(shape).astype(np.float32)
    ours, theirs = tg.tensor(x), torch.tensor(x)
    fmt, tfmt = getattr(tg, name), getattr(torch, name)
    try:
        expected = theirs.contiguous(memory_format=tfmt)
    except RuntimeError as e:
        with pytest.raises(RuntimeError, match=str(e).split(" format")[0]):
            ours.contiguous(memory_format=fmt)
        return
    got = ours.contiguous(memory_format=fmt)
    assert got.stride() == expected.stride()
    np.testing.assert_array_equal(got.numpy(), expected.numpy())
    for check in FORMATS:
        if len(shape) == {"channels_last": 4, "channels_last_3d": 5}.get(check, len(shape)):
            mine = got.is_contiguous(memory_format=getattr(tg, check))
            assert mine == expected.is_contiguous(memory_format=getattr(torch, check))
    assert got.clone().stride() == expected.clone().stride()  # preserve_format
    assert got.clone(memory_format=tg.contiguous_format).is_contiguous()


def test_to_memory_format_and_the_gradient_through_it():
    x = tg.randn(2, 3, 4, 5, requires_grad=True)
    y = x.to(memory_format=tg.channels_last)
    assert y.stride() == (60, 1, 15, 3) and y.shape == x.shape
    upstream = tg.randn(2, 3, 4, 5)
    (y * upstream).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), upstream.numpy())
    assert x.to(tg.float64, memory_format=tg.channels_last).dtype == tg.float64
    assert x.contiguous() is x and x.layout is tg.strided


def test_module_to_channels_last_converts_4d_parameters_and_trains_the_same():
    torch.manual_seed(0)
    ref = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.BatchNorm2d(4))
    model = tg.nn.Sequential(tg.nn.Conv2d(3, 4, 3), tg.nn.BatchNorm2d(4))
    model.load_state_dict({k: tg.tensor(v.numpy()) for k, v in ref.state_dict().items()})
    model.to(memory_format=tg.channels_last)
    ref.to(memory_format=torch.channels_last)
    assert model[0].weight.stride() == ref[0].weight.stride()
    assert model[0].bias.stride() == ref[0].bias.stride()
    x = np.random.default_rng(1).standard_normal((2, 3, 6, 6)).astype(np.float32)
    out = model(tg.tensor(x).to(memory_format=tg.channels_last))
    expected = ref(torch.tensor(x).to(memory_format=torch.channels_last))
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), atol=1e-5)
    out.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(
        model[0].weight.grad.numpy(), ref[0].weight.grad.numpy(), rtol=1e-4, atol=1e-5
    )


def test_formats_pickle_by_name_and_errors():
    assert pickle.loads(pickle.dumps(tg.channels_last)) is tg.channels_last
    assert repr(tg.channels_last_3d) == "tensorgrad.channels_last_3d"
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last format"):
        tg.ones(2, 3).contiguous(memory_format=tg.channels_last)
    with pytest.raises(RuntimeError, match="preserve memory format is unsupported"):
        tg.ones(2, 3).contiguous(memory_format=tg.preserve_format)
