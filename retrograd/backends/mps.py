"""Apple's Metal (MPS): retrograd has no MPS device, as PyTorch on a machine without one."""


def is_available() -> bool:
    return False


def is_built() -> bool:
    return False
