"""The runnable examples train to a useful accuracy."""

from tensorgrad.examples import demo


def test_demo_learns_the_spirals(capsys):
    accuracy = demo.main()
    assert accuracy > 0.95
    assert "epoch 200/200" in capsys.readouterr().out
