"""tensorgrad.as_torch: the torch stand-in modules, what they map, what they refuse, the
install/uninstall dance with real torch, and the command line."""

from __future__ import annotations

import contextlib
import importlib
import inspect
import io
import json
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import tensorgrad as tg
from tensorgrad import as_torch
from tensorgrad.as_torch import mapping

ROOT = Path(__file__).resolve().parents[2]


def run_as_script(source: str, name: str = "script.py") -> dict:
    """Run ``source`` as if it were the file ``name`` (so error messages name it), under the
    alias; returns its globals."""
    namespace = {"__name__": "__main__"}
    with as_torch.installed():
        exec(compile(textwrap.dedent(source), name, "exec"), namespace)
    return namespace


def test_install_hides_real_torch_and_uninstall_restores_it():
    real_nn = sys.modules["torch.nn"]
    with as_torch.installed() as alias:
        import torch as inside
        import torch.nn as nn_inside

        assert inside is alias and inside is not torch and as_torch.is_installed()
        assert nn_inside is not real_nn and nn_inside.Linear is tg.nn.Linear
        with as_torch.installed() as again:  # nested: a no-op
            assert again is alias
        assert sys.modules["torch"] is alias
    assert not as_torch.is_installed()
    assert sys.modules["torch"] is torch and sys.modules["torch.nn"] is real_nn
    import torch as after

    assert after is torch


def test_names_come_from_tensorgrad():
    with as_torch.installed() as t:
        import torch.nn.functional as F
        import torch.utils.data as data
        from torch.optim.lr_scheduler import StepLR

        assert t.Tensor is tg.Tensor and t.float32 is tg.float32 and t.long is tg.int64
        assert t.manual_seed is tg.manual_seed and t.device is tg.device
        assert t.nn.Module is tg.nn.Module and t.nn.Parameter is tg.nn.Parameter
        assert t.nn.parameter.Parameter is tg.nn.Parameter
        assert F.cross_entropy is tg.nn.functional.cross_entropy
        assert t.nn.init.normal_ is tg.nn.init.normal_
        assert t.nn.utils.clip_grad_norm_ is tg.nn.utils.clip_grad_norm_
        assert StepLR is tg.lr_scheduler.StepLR and t.optim.AdamW is tg.optim.AdamW
        assert data.DataLoader is tg.data.DataLoader
        assert t.autograd.grad is tg.autograd.grad and t.amp.GradScaler is tg.amp.GradScaler
        assert t.cuda.is_available is tg.cuda.is_available
        assert t.distributed.all_reduce is tg.distributed.all_reduce
        assert t.nn.parallel.DistributedDataParallel is tg.distributed.DistributedDataParallel
        assert t.utils.data.distributed.DistributedSampler is tg.distributed.DistributedSampler
        assert t.accelerator is importlib.import_module("torch.accelerator")
        assert t.accelerator.is_available is tg.accelerator.is_available
        assert t.__version__.startswith("2.13.0+tensorgrad")
        assert t.version.cuda is None
        assert {"nn", "optim", "Tensor", "backends", "compile"} <= set(dir(t))
        x = t.randn(2, 3)
        assert isinstance(x, t.Tensor) and type(x) is tg.Tensor


@pytest.mark.parametrize("file", sorted(mapping.NN_MODULE_FILES))
def test_nn_modules_files_expose_torch_classes_as_ours(file):
    """``torch.nn.modules.<file>.<Class> is tensorgrad.nn.<Class>`` for every class tensorgrad
    has, and the table lists what PyTorch 2.13 defines in that file."""
    real = importlib.import_module(f"torch.nn.modules.{file}")
    names = mapping.NN_MODULE_FILES[file].split()
    for name in names:
        assert getattr(real, name).__module__ == real.__name__, f"{name} not in torch's {file}"
    with as_torch.installed():
        ours = importlib.import_module(f"torch.nn.modules.{file}")
        for name in names:
            if hasattr(tg.nn, name):
                assert getattr(ours, name) is getattr(tg.nn, name)
            elif hasattr(ours, name):  # a private base class or a function, from our file
                assert inspect.isclass(getattr(ours, name)) or inspect.isfunction(
                    getattr(ours, name)
                )


def test_nn_modules_identity_and_private_bases():
    with as_torch.installed() as t:
        from torch.nn.modules.dropout import Dropout
        from torch.nn.modules.linear import Linear

        assert Dropout is tg.nn.Dropout and Linear is tg.nn.Linear
        assert t.nn.modules.conv.Conv2d is tg.nn.Conv2d
        assert t.nn.modules.rnn.LSTM is tg.nn.LSTM
        assert t.nn.modules.activation.MultiheadAttention is tg.nn.MultiheadAttention
        assert t.nn.modules.Linear is tg.nn.Linear
        assert isinstance(tg.nn.BatchNorm2d(3), t.nn.modules.batchnorm._BatchNorm)
        assert issubclass(tg.nn.MSELoss, t.nn.modules.loss._Loss)
        from torch.nn.modules.utils import _pair

        assert _pair(3) == (3, 3) and _pair((1, 2)) == (1, 2)


def test_missing_attribute_names_the_script_line():
    source = """\
        import torch

        x = torch.ones(2)
        y = torch.no_such_thing_anywhere(x)
    """
    with pytest.raises(NotImplementedError) as info:
        run_as_script(source)
    assert str(info.value) == (
        "tensorgrad has no torch.no_such_thing_anywhere (used at script.py:4)"
    )
    with pytest.raises(
        NotImplementedError,
        match=r"torch\.nn\.modules\.pooling\.FractionalMaxPool2d "
        r"\(used at script\.py:2\)",
    ):
        run_as_script("import torch\ntorch.nn.modules.pooling.FractionalMaxPool2d(2)\n")


def test_a_missing_tensor_method_names_the_script_line_and_is_absent_after_uninstall():
    source = "import torch\nx = torch.ones(4)\nassert not hasattr(x, 'stft')\nx.stft(2)\n"
    with pytest.raises(NotImplementedError, match=r"has no Tensor\.stft \(used at script\.py:4\)"):
        run_as_script(source)
    import tensorgrad as tg

    with pytest.raises(AttributeError) as info:
        tg.ones(2).stft  # noqa: B018 (the lookup is the test)
    assert not isinstance(info.value, NotImplementedError)


def test_missing_import_names_the_script_line_and_is_an_import_error():
    with pytest.raises(
        NotImplementedError,
        match=r"^tensorgrad has no torch\.fake_fft "
        r"\(used at script\.py:3\)$",
    ):
        run_as_script("import torch\n\nimport torch.fake_fft\n")
    with pytest.raises(
        ImportError,
        match=r"torch\.nn\.functional\.no_such_fn \(used at "
        r"script\.py:1\)",
    ):
        run_as_script("from torch.nn.functional import relu, no_such_fn\n")
    namespace = run_as_script(
        """\
        try:
            import torch.fake_fft as fft
        except ImportError:
            fft = None
        """
    )
    assert namespace["fft"] is None


def test_hasattr_and_getattr_default_see_missing_names_as_absent():
    namespace = run_as_script(
        """\
        import torch
        has_fake = hasattr(torch, "fake_fft")
        fallback = getattr(torch.backends, "fake_backend", "default")
        has_mps = hasattr(torch.backends, "mps") and torch.backends.mps.is_available()
        has_compile = hasattr(torch, "compile")
        """
    )
    assert namespace["has_fake"] is False and namespace["fallback"] == "default"
    assert namespace["has_mps"] is False and namespace["has_compile"] is True
    with as_torch.installed() as t:  # dunders are plain AttributeErrors (Python probes them)
        with pytest.raises(AttributeError) as info:
            t.__wrapped__  # noqa: B018
        assert not isinstance(info.value, NotImplementedError)


def test_cuda_only_switches_are_accepted():
    namespace = run_as_script(
        """\
        import torch
        torch.backends.cudnn.benchmark = True
        torch.backends.cudnn.deterministic = True
        torch.backends.cudnn.enabled = False
        torch.backends.cudnn.allow_tf32 = False
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.set_float32_matmul_precision("high")
        torch.use_deterministic_algorithms(True, warn_only=True)
        state = (
            torch.backends.cudnn.benchmark, torch.backends.cudnn.deterministic,
            torch.backends.cuda.matmul.allow_tf32, torch.get_float32_matmul_precision(),
            torch.are_deterministic_algorithms_enabled(), torch.backends.cudnn.is_available(),
        )
        torch.set_float32_matmul_precision("highest")
        torch.use_deterministic_algorithms(False)
        """
    )
    assert namespace["state"] == (True, True, True, "high", True, False)
    with as_torch.installed() as t:  # a fresh install starts from PyTorch's defaults
        assert t.backends.cudnn.benchmark is False and t.backends.cudnn.enabled is True
        assert t.backends.cuda.matmul.allow_tf32 is False
        with pytest.warns(UserWarning, match="no effect"):
            t.set_float32_matmul_precision("fastest")
        assert t.get_float32_matmul_precision() == "highest"


def test_linalg_and_special_import_as_modules():
    """``import torch.linalg`` and ``import torch.special`` give stand-ins for tensorgrad's
    modules, as scripts write them, not only ``torch.linalg`` as an attribute."""
    with as_torch.installed():
        linalg = importlib.import_module("torch.linalg")
        special = importlib.import_module("torch.special")
        assert linalg.svd is tg.linalg.svd and linalg.inv is tg.linalg.inv
        assert special.ndtri is tg.special.ndtri and special.expit is tg.special.expit


def test_distributions_files_import_as_modules():
    """``from torch.distributions.normal import Normal`` (CleanRL's spelling) is tensorgrad's
    Normal; the table lists torch's files, and one tensorgrad lacks raises an ImportError."""
    import pkgutil

    import torch.distributions

    real = {m.name for m in pkgutil.iter_modules(torch.distributions.__path__)}
    assert set(mapping.DISTRIBUTION_FILES) == real
    with as_torch.installed() as t:
        from torch.distributions.categorical import Categorical
        from torch.distributions.normal import Normal

        assert Normal is tg.distributions.Normal and Categorical is tg.distributions.Categorical
        assert t.distributions.normal.Normal is tg.distributions.Normal
        kl = importlib.import_module("torch.distributions.kl")
        assert kl.kl_divergence is tg.distributions.kl_divergence
        for file in mapping.DISTRIBUTION_FILES:
            name = f"torch.distributions.{file}"
            if importlib.util.find_spec(f"tensorgrad.distributions.{file}") is None:
                with pytest.raises(ImportError, match=f"tensorgrad has no {name}"):
                    importlib.import_module(name)
            else:
                assert importlib.import_module(name).__name__ == name


def test_compile_is_tensorgrads():
    """torch.compile is tg.compile: a module comes back as itself with its forward compiled,
    a function as a CompiledFunction; torch.compile's keyword arguments are accepted."""
    with as_torch.installed() as t, warnings.catch_warnings():
        warnings.simplefilter("error")
        model = t.nn.Linear(2, 2)
        assert t.compile(model, mode="max-autotune") is model
        assert isinstance(model.forward, tg.jit.CompiledFunction)

        @t.compile(mode="max-autotune")
        def f(x):
            return x * 2

        assert f(3) == 6 and t.compile(f, fullgraph=True) is f
        assert isinstance(f, tg.jit.CompiledFunction)


def test_cuda_amp_spellings():
    with as_torch.installed() as t:
        assert importlib.import_module("torch.cuda.amp") is t.cuda.amp
        with t.cuda.amp.autocast(enabled=False) as ctx:
            assert isinstance(ctx, tg.amp.autocast) and ctx.device_type == "cuda"
        scaler = t.cuda.amp.GradScaler(enabled=False)
        assert isinstance(scaler, tg.amp.GradScaler)


def _cli(args, cwd, **kwargs):
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore")
    return subprocess.run(
        [sys.executable, "-m", "tensorgrad.as_torch", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        **kwargs,
    )


def test_cli_runs_a_script_as_main_with_its_arguments(tmp_path):
    (tmp_path / "helper.py").write_text("VALUE = 42\n")
    (tmp_path / "script.py").write_text(
        textwrap.dedent(
            """\
            import argparse
            import sys

            import helper  # the script's folder is on sys.path, as with `python script.py`
            import tensorgrad
            import torch
            import torch.nn as nn

            parser = argparse.ArgumentParser()
            parser.add_argument("--lr", type=float)
            args = parser.parse_args()
            assert __name__ == "__main__" and torch.nn.Linear is tensorgrad.nn.Linear
            model = nn.Linear(3, 1)
            loss = model(torch.ones(4, 3)).pow(2).mean()
            loss.backward()
            print(sys.argv, args.lr, helper.VALUE, type(model.weight.grad).__module__)
            """
        )
    )
    result = _cli(["script.py", "--lr", "0.5"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['script.py', '--lr', '0.5'] 0.5 42 tensorgrad.tensor"


def test_cli_error_names_the_script_line(tmp_path):
    (tmp_path / "uses_fft.py").write_text(
        "import torch\n\nx = torch.ones(8)\ny = torch.fft.rfft(x)\n"
    )
    result = _cli(["uses_fft.py"], cwd=tmp_path)
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last == (  # TorchFeatureMissing is a NotImplementedError
        "tensorgrad.as_torch.TorchFeatureMissing: tensorgrad has no torch.fft "
        "(used at uses_fft.py:4)"
    )
    usage = _cli([], cwd=tmp_path)
    assert usage.returncode == 2 and "usage" in usage.stderr


def test_cli_trains_the_mnist_program_and_saves_its_state_dict(tmp_path):
    script = ROOT / "tests" / "as_torch" / "programs" / "mnist_cnn.py"
    result = _cli([str(script), "--epochs", "1", "--save-model"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "device: cpu" in result.stdout and "Test set: Average loss" in result.stdout
    state = tg.load(tmp_path / "mnist_cnn.pt")
    assert tuple(state["fc1.weight"].shape) == (128, 9216)


def test_stand_ins_kept_after_uninstall_never_reach_real_torch():
    with as_torch.installed() as t:
        pass
    assert sys.modules["torch"] is torch
    assert t.optim.lr_scheduler.StepLR is tg.lr_scheduler.StepLR  # first read after uninstall
    assert t.nn.modules.linear.Linear is tg.nn.Linear
    assert sys.modules["torch"] is torch and "torch.optim" in sys.modules
    assert sys.modules["torch.optim"].__name__ == "torch.optim"
    assert sys.modules["torch.optim"] is not t.optim


@pytest.mark.parametrize(
    ("torch_name", "ours"),
    [
        ("torch.serialization", "tensorgrad.serialization"),
        ("torch.distributions", "tensorgrad.distributions"),
        ("torch.nn.utils.rnn", "tensorgrad.nn.utils.rnn"),
        ("torch.nn.utils.prune", "tensorgrad.nn.utils.prune"),
    ],
)
def test_modules_written_alongside(torch_name, ours):
    """Modules other parts of tensorgrad provide: mapped once they exist, missing before."""
    exists = importlib.util.find_spec(ours) is not None
    with as_torch.installed():
        if not exists:
            with pytest.raises(NotImplementedError, match=f"tensorgrad has no {torch_name}"):
                importlib.import_module(torch_name)
            return
        module = importlib.import_module(torch_name)
        mine = importlib.import_module(ours)
        public = [n for n in dir(mine) if not n.startswith("_")]
        # a submodule (torch.distributions.normal) is a stand-in of its own, for ours
        files = {n for n in public if f"{torch_name}.{n}" in mapping.MODULES}
        assert public and all(
            getattr(module, n) is getattr(mine, n) for n in public if n not in files
        )
        assert all(getattr(module, n).__name__ == f"{torch_name}.{n}" for n in files)


def test_cli_runs_a_module_with_dash_m(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("")
    (tmp_path / "pkg" / "job.py").write_text(
        "import sys\nimport torch\nprint(__name__, sys.argv[1:], torch.nn.ReLU.__module__)\n"
    )
    result = _cli(["-m", "pkg.job", "--fast"], cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "__main__ ['--fast'] tensorgrad.nn.activation"


def test_pdb_steps_from_the_script_into_the_op(tmp_path):
    """The debugger walk of docs/run-pytorch-scripts.md."""
    (tmp_path / "script.py").write_text(
        "import torch\n\nx = torch.randn(3, requires_grad=True)\nbreakpoint()\n"
        "y = torch.tanh(x)\ny.sum().backward()\nprint(x.grad)\n"
    )
    commands = [
        "c",
        "!import tensorgrad.ops.elementwise",
        "b tensorgrad.ops.elementwise.Tanh.forward",
        "c",
        "where",
        "p type(x).__name__",
        "q",
    ]
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore")
    result = subprocess.run(
        [sys.executable, "-m", "pdb", "-m", "tensorgrad.as_torch", "script.py"],
        input="\n".join(commands) + "\n",
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    out = result.stdout
    assert "script.py(5)<module>()" in out and "-> y = torch.tanh(x)" in out
    assert os.path.join("tensorgrad", "ops", "elementwise.py") in out and "forward()" in out
    assert "'ndarray'" in out


def _printed_both_ways(program: str) -> tuple[str, str]:
    """What ``program`` prints under as_torch (in this process), and under real PyTorch (in a
    subprocess)."""
    buffer = io.StringIO()
    with as_torch.installed(), contextlib.redirect_stdout(buffer):
        exec(program, {})
    reference = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=True
    ).stdout
    return buffer.getvalue(), reference


def test_a_script_prints_what_it_prints_under_pytorch():
    """Under as_torch, shapes are torch.Size (printed so, with numel()) and dtypes, Sizes and
    memory formats print as torch.*: the lines a PyTorch script prints are PyTorch's. Outside
    it, tensorgrad's own spellings (and .shape the plain tuple NumPy gives) come back."""
    program = textwrap.dedent(
        """
        import os
        import torch

        x = torch.zeros(4, 3, dtype=torch.float64)
        print(x.shape, x.size(), x.shape.numel(), x.shape[1:], x.dtype)
        print(torch.tensor([1, 2], dtype=torch.int32), torch.channels_last)
        print(torch.distributions.Normal(torch.zeros(3), 1.0).batch_shape)
        print(os.path.isdir(os.path.dirname(torch.__file__)))
        """
    )
    ours, reference = _printed_both_ways(program)
    assert ours == reference
    x = tg.zeros(4, 3)
    assert type(x.shape) is tuple and repr(x.dtype) == "tensorgrad.float32"
    assert repr(x.size()) == "tensorgrad.Size([4, 3])"


def test_torch_save_writes_a_file_real_pytorch_loads(tmp_path):
    """torch.save under as_torch writes PyTorch's zip format: real torch.load (weights_only,
    its default) reads the checkpoint a script saved; a whole module, which that format cannot
    hold, is saved in tensorgrad's format and loads back here."""
    with as_torch.installed() as t:
        model = t.nn.Sequential(t.nn.Linear(3, 2), t.nn.BatchNorm1d(2))
        opt = t.optim.Adam(model.parameters(), lr=0.01)
        model(t.randn(4, 3)).sum().backward()
        opt.step()
        t.save({"model": model.state_dict(), "opt": opt.state_dict(), "epoch": 3}, tmp_path / "a")
        t.save(model, tmp_path / "whole")
        whole = t.load(tmp_path / "whole", weights_only=False)
    assert type(whole) is type(model)
    loaded = torch.load(tmp_path / "a")
    assert loaded["epoch"] == 3 and loaded["opt"]["param_groups"][0]["lr"] == 0.01
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(loaded["model"][name].numpy(), value.numpy())


@pytest.mark.skipif(
    "GenuineIntel" in (Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""),
    reason="PyTorch draws dropout masks and exponentials through MKL on Intel CPUs",
)
def test_a_seeded_script_trains_and_samples_as_under_pytorch_without_shared_weights():
    """Nothing is loaded from PyTorch: after the same torch.manual_seed the script draws its
    data, initial weights, shuffled batches, dropout masks and multinomial samples as PyTorch
    does, so its losses are PyTorch's (to float32 rounding: the sums run in another order)
    and it samples PyTorch's classes."""
    program = textwrap.dedent(
        """
        import json
        import torch
        from torch import nn
        from torch.utils.data import DataLoader, TensorDataset

        torch.manual_seed(0)
        x, y = torch.randn(96, 12), torch.randint(0, 3, (96,))
        model = nn.Sequential(nn.Linear(12, 32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 3))
        opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        losses = []
        for epoch in range(2):
            for xb, yb in DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True):
                loss = nn.functional.cross_entropy(model(xb), yb)
                opt.zero_grad()
                loss.backward()
                opt.step()
                losses.append(loss.item())
        model.eval()
        with torch.no_grad():
            probs = model(x[:8]).softmax(-1)
            picks = torch.multinomial(probs, 1).flatten().tolist()
            picks += torch.multinomial(probs, 5, replacement=True).flatten().tolist()
        print(json.dumps({"losses": losses, "picks": picks}))
        """
    )
    ours, theirs = (json.loads(text) for text in _printed_both_ways(program))
    assert len(ours["losses"]) == 12 and len(ours["picks"]) == 48
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=1e-5)
    assert ours["picks"] == theirs["picks"]


def test_a_seeded_bfloat16_script_trains_as_under_pytorch():
    """An unchanged script that trains under CPU autocast (bfloat16, PyTorch's CPU default)
    and then as a bfloat16 model, with an EMA of the weights (lerp_), printing its losses, the
    bfloat16 model's outputs and the EMA: losses within 1e-4, outputs within a bfloat16 unit."""
    pytest.importorskip("ml_dtypes")
    program = textwrap.dedent(
        """
        import copy
        import json
        import torch
        from torch import nn

        torch.manual_seed(0)
        x, y = torch.randn(64, 12), torch.randint(0, 3, (64,))
        model = nn.Sequential(nn.Linear(12, 32), nn.GELU(), nn.LayerNorm(32), nn.Linear(32, 3))
        ema = copy.deepcopy(model)
        opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
        losses = []
        for step in range(6):
            with torch.autocast("cpu"):
                logits = model(x)
            loss = nn.functional.cross_entropy(logits.float(), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            with torch.no_grad():
                for e, p in zip(ema.parameters(), model.parameters()):
                    e.lerp_(p, 0.1)
            losses.append(loss.item())
        half = model.to(torch.bfloat16)
        with torch.no_grad():
            out = half(x.to(torch.bfloat16))
        print(json.dumps({
            "dtype": str(logits.dtype), "losses": losses, "bf16": out.float().tolist(),
            "ema": ema[0].weight.flatten().tolist(),
        }))
        """
    )
    ours, theirs = (json.loads(text) for text in _printed_both_ways(program))
    assert ours["dtype"] == theirs["dtype"] == "torch.bfloat16"
    np.testing.assert_allclose(ours["losses"], theirs["losses"], rtol=1e-3)  # 1e-4 measured
    np.testing.assert_allclose(ours["bf16"], theirs["bf16"], rtol=2e-2, atol=2e-2)  # an ulp
    np.testing.assert_allclose(ours["ema"], theirs["ema"], rtol=1e-3, atol=5e-4)
