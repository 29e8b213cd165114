"""Random numbers: ``manual_seed``, ``Generator`` and the arrays the random factories fill
(``rand``, ``randn``... are in ``creation``, with the other factories).

Every random draw in retrograd comes from a ``Generator`` (the global one unless one is passed),
so that ``rg.manual_seed(0)`` makes a whole run reproducible.
"""
from __future__ import annotations

from typing import Any

from . import dtype as dtypes
from .backend import backend_for, xp
from .device import CPU, DeviceLike, as_device, device
from .recording import recorded

DEFAULT_SEED = 67280421310721  # PyTorch's


class Generator:
    """A seeded source of random numbers on one device (NumPy's PCG64 on the CPU; on CUDA, the
    device library's own generator, so random arrays are made where they are used).

    >>> g = rg.Generator().manual_seed(0)
    >>> rg.randn(2, 3, generator=g)
    """

    def __init__(self, device: DeviceLike = "cpu") -> None:
        self.device = as_device(device)
        self._seed = DEFAULT_SEED
        self._source: Any = None

    @property
    def source(self) -> Any:
        """What draws the arrays: NumPy's ``Generator`` on the CPU, the device's otherwise."""
        if self._source is None:
            if self.device.type == "cpu":
                self._source = xp.random.default_rng(self._seed)
            else:
                self._source = backend_for(self.device.type).random_source(self.device.index,
                                                                           self._seed)
        return self._source

    @property
    def numpy(self) -> Any:
        """The NumPy generator of a CPU generator (host-side code: data sets, samplers)."""
        if self.device.type != "cpu":
            raise RuntimeError(f"a generator on {self.device} has no NumPy generator; use a "
                               f"CPU generator (rg.Generator()) for host-side randomness")
        return self.source

    def manual_seed(self, seed: int) -> "Generator":
        """Restarts the stream from ``seed``; returns the generator."""
        if not isinstance(seed, int):
            raise TypeError(f"manual_seed expects an int, got {type(seed).__name__}")
        self._seed = seed
        self._source = None
        return self

    def initial_seed(self) -> int:
        return self._seed

    def get_state(self) -> dict:
        """The full state, to restore with ``set_state`` (checkpoints use it; CPU only)."""
        return self.numpy.bit_generator.state

    def set_state(self, new_state: dict) -> "Generator":
        self.numpy.bit_generator.state = new_state
        return self


default_generator = Generator()
_device_generators: dict = {}  # (device type, index) -> that device's default generator
_last_seed = DEFAULT_SEED
_device_seeds: dict = {}  # device type -> seed given to that type alone (rg.cuda.manual_seed)


def default_generator_for(target: device) -> Generator:
    """The default generator of ``target`` (created, seeded with the last global seed, on first
    use; PyTorch keeps one per device too)."""
    if target.type == "cpu":
        return default_generator
    key = (target.type, target.index or 0)
    found = _device_generators.get(key)
    if found is None:
        seed = _device_seeds.get(target.type, _last_seed)
        found = _device_generators[key] = Generator(device(*key)).manual_seed(seed)
    return found


def manual_seed(seed: int) -> Generator:
    """Seeds the global generator of every device (the CPU's is returned)."""
    global _last_seed
    default_generator.manual_seed(seed)
    _last_seed = seed
    _device_seeds.clear()
    for generator in _device_generators.values():
        generator.manual_seed(seed)
    return default_generator


def manual_seed_device(device_type: str, seed: int) -> None:
    """Seeds only the default generators of ``device_type`` (``rg.cuda.manual_seed_all``)."""
    _device_seeds[device_type] = seed
    for (kind, _), generator in _device_generators.items():
        if kind == device_type:
            generator.manual_seed(seed)


def forget_device_generators(device_type: str) -> None:
    """Drops the default generators of ``device_type`` (its backend was replaced)."""
    for key in [key for key in _device_generators if key[0] == device_type]:
        del _device_generators[key]


def seed() -> int:
    """Seeds the global generator from the operating system's entropy; returns the seed."""
    # an int: entropy drawn from the OS
    new_seed = int(xp.random.SeedSequence().entropy % (2 ** 63))  # type: ignore[operator]
    manual_seed(new_seed)
    return new_seed


def initial_seed() -> int:
    """The seed the global generator was last seeded with."""
    return default_generator.initial_seed()


def random_source(generator: Generator | None, target: device = CPU) -> Any:
    """What draws random arrays on ``target``: ``generator``'s, or the device's default."""
    if generator is None:
        return default_generator_for(target).source
    if generator.device.type != target.type:
        raise RuntimeError(f"Expected a '{target.type}' device type for generator but found "
                           f"'{generator.device.type}'")
    return generator.source


def numpy_generator(generator: Generator | None) -> Any:
    """The NumPy generator behind a CPU ``generator`` (the global one for None)."""
    return (generator or default_generator).numpy


def float_dtype(dtype) -> Any:
    """The NumPy dtype of random floats for ``dtype`` (float32 for None); refuses others."""
    np_dtype = dtypes.default_float.np_dtype if dtype is None else dtypes.to_numpy_dtype(dtype)
    if np_dtype.kind != "f":
        raise TypeError(f"random floats need a floating-point dtype, got {dtype}")
    return np_dtype


@recorded
def normal_array(shape: tuple, mean: float, std: float, np_dtype,
                 generator: Generator | None = None, target: device = CPU) -> Any:
    """An array of ``shape`` on ``target`` drawn from N(mean, std^2) (``Tensor.normal_``,
    ``nn.init``, ``randn``)."""
    values = random_source(generator, target).standard_normal(shape, dtype=_drawn_dtype(np_dtype))
    if std != 1:
        values *= std
    if mean != 0:
        values += mean
    return values.astype(np_dtype, copy=False)


@recorded
def uniform_array(shape: tuple, low: float, high: float, np_dtype,
                  generator: Generator | None = None, target: device = CPU) -> Any:
    """An array of ``shape`` on ``target`` drawn from U(low, high) (``Tensor.uniform_``,
    ``nn.init``, ``rand``, dropout)."""
    values = random_source(generator, target).random(shape, dtype=_drawn_dtype(np_dtype))
    if (low, high) != (0, 1):
        values *= high - low
        values += low
    return values.astype(np_dtype, copy=False)


@recorded
def integers_array(low: int, high: int, shape: tuple, np_dtype,
                   generator: Generator | None = None, target: device = CPU) -> Any:
    """Integers of ``shape`` on ``target`` drawn uniformly from [low, high) (``randint``)."""
    return random_source(generator, target).integers(low, high, size=shape).astype(np_dtype)


@recorded
def permutation_array(n: int, generator: Generator | None = None, target: device = CPU) -> Any:
    """A random permutation of 0..n-1 (int64) on ``target`` (``randperm``)."""
    return random_source(generator, target).permutation(n).astype(xp.int64)


def _drawn_dtype(np_dtype: Any) -> Any:
    """Generators draw float32 and float64; other float types are drawn in float64 and cast."""
    return np_dtype if np_dtype in (xp.float32, xp.float64) else xp.float64
