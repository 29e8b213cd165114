"""cuDNN's switches. retrograd's CUDA kernels come from CuPy, not cuDNN: scripts may set these
(``rg.backends.cudnn.benchmark = True``) and nothing changes."""

enabled = True
benchmark = False
deterministic = False


def is_available() -> bool:
    return False


def version() -> None:
    return None
