"""Ready-made networks for classification, built from ``rg.nn`` layers as ``Sequential``s:
``mlp``, ``lenet5`` and ``small_cnn``.

    import retrograd as rg
    from retrograd.models import lenet5

    model = lenet5(num_classes=10, image_size=28)      # input (N, 1, 28, 28)
    scores = model(rg.randn(64, 1, 28, 28))            # (64, 10) class scores

Their weights come from the layers' default initialisation (PyTorch's), drawn from the global
generator: call ``rg.manual_seed`` first for the same network every time.
"""
from .networks import lenet5, mlp, small_cnn

__all__ = ["lenet5", "mlp", "small_cnn"]
