"""PyTorch programs written in plain PyTorch (``import torch``), each run twice by the tests: under
real torch and under ``tensorgrad.as_torch``. Each defines ``make()`` (its models and synthetic
data, built from NumPy so both runs see the same numbers) and ``train(models, data, steps)``
(the results to compare), and runs standalone as a script."""
