"""The scripts in examples/ run end to end at their --tiny size and write their outputs."""

import importlib.util
import os
import struct
import subprocess
import sys

import numpy as np
import pytest

EXAMPLES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "examples")


def load_example(name):
    """Import examples/<name>.py as a module (examples/ is not a package)."""
    spec = importlib.util.spec_from_file_location(name, os.path.join(EXAMPLES, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def write_idx(path, array):
    """An IDX file of a uint8 array: magic 0x0000080<ndim>, big-endian dims, the bytes."""
    with open(path, "wb") as f:
        f.write(struct.pack(">I", 0x800 + array.ndim))
        f.write(struct.pack(f">{array.ndim}I", *array.shape))
        f.write(array.astype(np.uint8).tobytes())


def test_digits_cnn_tiny_writes_checkpoint_and_plot(tmp_path, capsys):
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    out = tmp_path / "digits"
    result = load_example("digits_cnn").main(["--tiny", "--out", str(out)])
    assert (out / "checkpoint.tgc").stat().st_size > 0
    assert (out / "curves.png").read_bytes().startswith(b"\x89PNG")
    assert len(result["history"]) == 1
    assert 0 <= result["test_accuracy"] <= 1
    printed = capsys.readouterr().out
    assert "epoch 1/1" in printed and "val_accuracy" in printed and "test accuracy" in printed


def test_digits_cnn_resume_continues_from_the_checkpoint(tmp_path, capsys):
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    demo = load_example("digits_cnn")
    out = str(tmp_path / "digits")
    demo.main(["--tiny", "--out", out])
    result = demo.main(["--tiny", "--out", out, "--resume"])
    assert len(result["history"]) == 1  # nothing left to train: the saved epoch is restored
    assert "epoch 1/1" not in capsys.readouterr().out.split("test accuracy")[1]


@pytest.mark.parametrize("fashion", [False, True])
def test_mnist_mlp_with_a_missing_folder_says_what_to_get_and_where(tmp_path, fashion):
    missing = tmp_path / "no-such-folder"
    result = subprocess.run(
        [sys.executable, os.path.join(EXAMPLES, "mnist_mlp.py"), "--root", str(missing)]
        + ["--fashion"] * fashion,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert f"the folder {missing} does not exist" in result.stderr
    assert "train-images-idx3-ubyte" in result.stderr and "t10k-labels-idx1-ubyte" in result.stderr
    assert ("fashion-mnist" if fashion else "exdb/mnist") in result.stderr


@pytest.mark.parametrize("gzipped", [False, True])
def test_mnist_mlp_tiny_reads_idx_files(tmp_path, gzipped, capsys):
    pytest.importorskip("matplotlib")
    rng = np.random.default_rng(0)
    for prefix, n in (("train", 60), ("t10k", 20)):
        labels = rng.integers(0, 10, n)
        # each class a bright square at its own place, so the data is learnable
        images = rng.integers(0, 40, (n, 28, 28))
        for i, c in enumerate(labels):
            images[i, 2 * c : 2 * c + 8, 2 * c : 2 * c + 8] = 255
        write_idx(tmp_path / f"{prefix}-images-idx3-ubyte", images)
        write_idx(tmp_path / f"{prefix}-labels-idx1-ubyte", labels)
    if gzipped:
        import gzip

        for name in os.listdir(tmp_path):
            raw = (tmp_path / name).read_bytes()
            (tmp_path / f"{name}.gz").write_bytes(gzip.compress(raw))
            (tmp_path / name).unlink()
    out = tmp_path / "out"
    result = load_example("mnist_mlp").main(["--root", str(tmp_path), "--tiny", "--out", str(out)])
    assert (out / "checkpoint.tgc").stat().st_size > 0
    assert (out / "curves.png").read_bytes().startswith(b"\x89PNG")
    assert 0 <= result["test_accuracy"] <= 1
    assert "MNIST: 54 train / 6 val / 20 test" in capsys.readouterr().out


def test_mnist_mlp_names_the_missing_file(tmp_path):
    with pytest.raises(SystemExit, match=r"error: MNIST: missing train-images-idx3-ubyte \(or"):
        load_example("mnist_mlp").main(["--root", str(tmp_path), "--tiny"])


def test_char_gpt_tiny_prints_entropy_losses_and_a_sample(capsys):
    gpt = load_example("char_gpt")
    result = gpt.main(["--tiny"])
    printed = capsys.readouterr().out
    assert "unigram entropy" in printed and "val loss" in printed and "sample" in printed
    assert len(result["val_losses"]) == 2 and all(np.isfinite(result["val_losses"]))
    assert result["sample"].startswith("def ") and len(result["sample"]) == 4 + 40
    assert 2.0 < result["unigram_entropy"] < 5.0


def test_char_gpt_amp_trains_like_float32():
    """--amp (autocast float16 + GradScaler; on the CPU too) follows the float32 run's losses
    to float16's precision."""
    gpt = load_example("char_gpt")
    full, amp = (gpt.main(["--tiny", *flags])["val_losses"] for flags in ([], ["--amp"]))
    assert all(np.isfinite(amp))
    np.testing.assert_allclose(amp, full, rtol=2e-2)


@pytest.mark.parametrize("example", ["digits_cnn", "char_gpt"])
def test_compile_flag_gives_the_eager_numbers(tmp_path, example, recwarn):
    """--compile replays the training step (tg.compile): the same losses to rounding, and no
    fallback to eager (no warning)."""
    pytest.importorskip("sklearn")
    pytest.importorskip("matplotlib")
    demo = load_example(example)
    runs = []
    for flags in ([], ["--compile"]):
        out = ["--out", str(tmp_path / f"digits{len(flags)}")] if example == "digits_cnn" else []
        runs.append(demo.main(["--tiny", *out, *flags]))
    assert not [w for w in recwarn if "tg.compile" in str(w.message)]
    if example == "digits_cnn":
        eager, compiled = (r["history"].history for r in runs)
        np.testing.assert_allclose(compiled["train_loss"], eager["train_loss"], rtol=1e-5)
        assert runs[1]["test_accuracy"] == pytest.approx(runs[0]["test_accuracy"], abs=0.01)
    else:
        np.testing.assert_allclose(runs[1]["val_losses"], runs[0]["val_losses"], rtol=1e-4)


def test_char_gpt_unigram_entropy_is_in_nats():
    gpt = load_example("char_gpt")
    assert gpt.unigram_entropy("aaaa") == 0
    assert gpt.unigram_entropy("ab") == pytest.approx(np.log(2))
    assert gpt.unigram_entropy("aabc") == pytest.approx(1.5 * np.log(2))


def test_char_gpt_model_is_causal():
    import tensorgrad as tg

    gpt = load_example("char_gpt")
    tg.manual_seed(0)
    model = gpt.GPT(vocab_size=11, block_size=8, dim=16, heads=2, layers=1)
    x = tg.randint(0, 11, (2, 8))
    y = x.clone()
    y[:, 5:] = (y[:, 5:] + 1) % 11  # change only the last three tokens
    with tg.no_grad():
        a, b = model(x), model(y)
    assert a.shape == (2, 8, 11)
    np.testing.assert_allclose(a[:, :5].numpy(), b[:, :5].numpy(), rtol=1e-5, atol=1e-6)
    assert not np.allclose(a[:, 5:].numpy(), b[:, 5:].numpy())


def test_see_inside_tiny_draws_the_mlp_and_the_collapsed_gpt(tmp_path, capsys):
    pytest.importorskip("sklearn")
    import shutil

    out = tmp_path / "see_inside"
    result = load_example("see_inside").main(["--tiny", "--out", str(out)])
    assert len(result["losses"]) == 3
    mlp = (out / "mlp_graph.dot").read_text()
    assert "1.weight" in mlp and "3.bias" in mlp and "grad norm" in mlp
    gpt = (out / "gpt_graph.dot").read_text()
    assert all(f"blocks.{i} (Block)" in gpt for i in range(6))
    if shutil.which("dot") is None:  # pictures need Graphviz; CI installs it
        assert "wrote the .dot files only" in capsys.readouterr().out
        return
    for name in ("mlp_graph.png", "gpt_graph.png"):
        assert (out / name).read_bytes().startswith(b"\x89PNG")
    assert "ReluBackward0" in (out / "mlp_graph.svg").read_text()
