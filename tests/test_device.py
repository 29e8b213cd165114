"""The device API, PyTorch's way: rg.device, Tensor.device/to/cpu/cuda, device= on factories,
the default device, rg.cuda / rg.backends / rg.accelerator on a machine without a GPU, and the
same idioms on a second device (the CuPy stand-in of fake_cupy.py as "cuda")."""
import subprocess
import sys

import numpy as np
import pytest
import torch

import retrograd as rg

from fake_cupy import FakeArray

# -- rg.device ---------------------------------------------------------------------------------

@pytest.mark.parametrize("spec", ["cpu", "cuda", "cuda:0", "cuda:1", "mps", "meta"])
def test_device_parses_and_prints_as_torch(spec):
    ours, theirs = rg.device(spec), torch.device(spec)
    assert (ours.type, ours.index) == (theirs.type, theirs.index)
    assert str(ours) == str(theirs) and repr(ours) == repr(theirs)


def test_device_forms_and_equality_follow_torch():
    assert rg.device("cuda", 1) == rg.device("cuda:1") == "cuda:1"
    assert rg.device(0) == rg.device("cuda:0")
    assert rg.device(rg.device("cuda:2")).index == 2
    assert rg.device("cuda") != rg.device("cuda:0")  # as in torch: "the current device"
    assert torch.device("cuda") != torch.device("cuda:0")
    assert len({rg.device("cpu"), rg.device("cpu"), rg.device("cuda:0")}) == 2
    assert rg.zeros(1).device == "cpu" and rg.zeros(1).device == torch.device("cpu").type


@pytest.mark.parametrize("spec", ["gpu", "cuda:x", "cuda:-1"])
def test_invalid_device_strings_raise_as_torch(spec):
    with pytest.raises(RuntimeError):
        torch.device(spec)
    with pytest.raises(RuntimeError, match="device"):
        rg.device(spec)


# -- on the CPU, with no GPU -------------------------------------------------------------------

def test_tensors_are_on_the_cpu_and_to_returns_self_when_nothing_changes():
    x = rg.randn(2, 3, requires_grad=True)
    assert x.device == rg.device("cpu") and not x.is_cuda and x.get_device() == -1
    for same in (x.to("cpu"), x.to(rg.device("cpu")), x.to(rg.float32), x.to("cpu", rg.float32),
                 x.to(device="cpu"), x.to(dtype=rg.float32), x.to(x), x.cpu(),
                 x.to("cpu", non_blocking=True)):
        assert same is x
    copied = x.to("cpu", copy=True)
    assert copied is not x and copied.grad_fn is not None and rg.equal(copied, x)


def test_to_dtype_forms_and_to_other():
    x = rg.tensor([1.5, -2.0])
    assert x.to(rg.float64).dtype == rg.float64
    assert x.to("cpu", rg.float64).dtype == rg.float64
    assert x.to(None, rg.int64).dtype == rg.int64
    assert x.to(rg.zeros(1, dtype=rg.float64)).dtype == rg.float64
    with pytest.raises(TypeError, match="unexpected keyword"):
        x.to(devise="cpu")
    with pytest.raises(TypeError, match="invalid combination"):
        x.to("cpu", "cuda")


def test_factories_accept_device_and_follow_the_default_device():
    for tensor in (rg.zeros(2, device="cpu"), rg.ones(2, device=rg.device("cpu")),
                   rg.empty(2, device="cpu"), rg.full((2,), 1.0, device="cpu"),
                   rg.eye(2, device="cpu"), rg.arange(3, device="cpu"),
                   rg.linspace(0, 1, 3, device="cpu"), rg.rand(2, device="cpu"),
                   rg.randn(2, device="cpu"), rg.randint(0, 5, (2,), device="cpu"),
                   rg.randperm(4, device="cpu"), rg.tensor([1.0], device="cpu"),
                   rg.zeros_like(rg.ones(2), device="cpu"), rg.as_tensor([1], device="cpu")):
        assert tensor.device == "cpu"
    assert rg.get_default_device() == rg.device("cpu")


def test_without_a_gpu_rg_cuda_answers_as_torch_does():
    assert rg.cuda.is_available() is torch.cuda.is_available() is False
    assert rg.cuda.device_count() == torch.cuda.device_count() == 0
    assert rg.cuda.memory_allocated() == 0 and rg.cuda.max_memory_allocated() == 0
    rg.cuda.manual_seed(0)
    rg.cuda.manual_seed_all(0)
    rg.cuda.empty_cache()
    assert rg.backends.mps.is_available() is torch.backends.mps.is_available() is False
    rg.backends.cudnn.benchmark = True  # scripts set it; nothing changes
    assert rg.accelerator.is_available() is False
    assert rg.accelerator.current_accelerator() is None
    assert (rg.device("cuda" if rg.cuda.is_available() else "cpu")) == "cpu"


@pytest.mark.parametrize("use", [
    lambda: rg.zeros(2).cuda(), lambda: rg.zeros(2).to("cuda"), lambda: rg.zeros(2, device="cuda"),
    lambda: rg.cuda.synchronize(), lambda: rg.set_default_device("cuda")])
def test_using_cuda_without_it_says_what_to_install(use):
    with pytest.raises(RuntimeError, match=r"CUDA is not available.*retrograd\[cuda12\]"):
        use()


def test_mps_and_other_device_types_are_refused_clearly():
    with pytest.raises(RuntimeError, match="no 'mps' device"):
        rg.zeros(2).to("mps")


def test_import_retrograd_does_not_import_cupy():
    code = "import sys, retrograd as rg; rg.cuda.device_count; print('cupy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


# -- on a second device ------------------------------------------------------------------------

def test_a_tensor_on_the_device_holds_a_device_array(fake_cuda):
    x = rg.tensor([1.0, 2.0], device="cuda")
    assert type(x.array) is FakeArray
    assert x.device == rg.device("cuda:0") and x.is_cuda and x.get_device() == 0
    assert "device='cuda:0'" in repr(x)
    assert rg.cuda.is_available() and rg.cuda.device_count() == 1
    for moved in (rg.tensor([1.0]).cuda(), rg.tensor([1.0]).to("cuda"),
                  rg.tensor([1.0]).to("cuda:0"), rg.tensor([1.0]).cuda(0),
                  rg.tensor([1.0]).to(x)):
        assert moved.device == "cuda:0"
    assert x.to("cuda") is x and x.cuda() is x and x.to("cuda:0") is x


def test_numpy_of_a_device_tensor_raises_as_torch(fake_cuda):
    x = rg.ones(2, device="cuda")
    with pytest.raises(TypeError, match=r"can't convert cuda:0 device type tensor to numpy\. "
                                        r"Use Tensor.cpu\(\)"):
        x.numpy()
    with pytest.raises(TypeError, match="Tensor.cpu"):
        np.asarray(x)
    np.testing.assert_array_equal(x.cpu().numpy(), [1.0, 1.0])
    assert x.item() if x.numel() == 1 else x.sum().item() == 2.0
    assert x.tolist() == [1.0, 1.0]


def test_moving_is_differentiable_both_ways(fake_cuda):
    x = rg.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x.cuda() * 2).sum()
    assert y.device == "cuda:0"
    y.backward()
    assert x.grad.device == "cpu"
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0, 2.0])
    w = rg.tensor([1.0, -1.0], device="cuda", requires_grad=True)
    (w.cpu() ** 2).sum().backward()
    assert w.grad.device == "cuda:0"
    np.testing.assert_array_equal(w.grad.cpu().numpy(), [2.0, -2.0])
    z = rg.tensor([3.0], requires_grad=True)
    (g,) = rg.autograd.grad((z.cuda() ** 3).sum(), z, create_graph=True)
    (gg,) = rg.autograd.grad(g.sum(), z)  # second order through two moves
    assert gg.device == "cpu" and gg.item() == 18.0


def test_mixing_devices_raises_torchs_message(fake_cuda):
    a, b = rg.ones(2, device="cuda"), rg.ones(2)
    message = ("Expected all tensors to be on the same device, but found at least two devices, "
               "cuda:0 and cpu!")
    for mix in (lambda: a + b, lambda: a * b, lambda: rg.matmul(a, b), lambda: a == b,
                lambda: a.add_(b), lambda: rg.cat([a, b])):
        with pytest.raises(RuntimeError, match=message):
            mix()


def test_a_0d_cpu_tensor_goes_along_as_a_number(fake_cuda):
    a = rg.ones(2, device="cuda")
    for result in (a * rg.tensor(3.0), rg.tensor(3.0) * a, a.add_(rg.tensor(1.0)) + 0):
        assert result.device == "cuda:0"
    np.testing.assert_array_equal((a * rg.tensor(3.0)).cpu().numpy(), [6.0, 6.0])


def test_copy_moves_values_across_devices(fake_cuda):
    target = rg.zeros(3, device="cuda")
    target.copy_(rg.tensor([1.0, 2.0, 3.0]))
    assert target.device == "cuda:0"
    np.testing.assert_array_equal(target.cpu().numpy(), [1.0, 2.0, 3.0])
    back = rg.zeros(3)
    back.copy_(target)
    np.testing.assert_array_equal(back.numpy(), [1.0, 2.0, 3.0])


def test_factories_and_likes_on_the_device(fake_cuda):
    made = [rg.zeros(2, 3, device="cuda"), rg.ones(2, device="cuda"), rg.empty(2, device="cuda"),
            rg.full((2,), 7, device="cuda"), rg.eye(3, device="cuda"),
            rg.arange(5, device="cuda"), rg.linspace(0, 1, 4, device="cuda"),
            rg.rand(3, device="cuda"), rg.randn(3, device="cuda"),
            rg.randint(0, 9, (4,), device="cuda"), rg.randperm(5, device="cuda")]
    device_tensor = rg.ones(2, device="cuda")
    made += [rg.zeros_like(device_tensor), rg.ones_like(device_tensor),
             rg.full_like(device_tensor, 2.0), rg.rand_like(device_tensor),
             rg.randn_like(device_tensor), rg.empty_like(device_tensor)]
    for tensor in made:
        assert tensor.device == "cuda:0" and type(tensor.array) is FakeArray
    assert rg.zeros_like(device_tensor, device="cpu").device == "cpu"
    np.testing.assert_array_equal(rg.arange(5, device="cuda").cpu().numpy(), np.arange(5))


def test_random_numbers_are_drawn_on_the_device_and_seeded_by_manual_seed(fake_cuda):
    rg.manual_seed(3)
    first = rg.randn(4, device="cuda").cpu().numpy()
    rg.manual_seed(3)
    again = rg.randn(4, device="cuda").cpu().numpy()
    np.testing.assert_array_equal(first, again)
    rg.cuda.manual_seed(5)
    cuda_only = rg.rand(2, device="cuda").cpu().numpy()
    rg.cuda.manual_seed(5)
    np.testing.assert_array_equal(rg.rand(2, device="cuda").cpu().numpy(), cuda_only)
    cpu_generator = rg.Generator()
    with pytest.raises(RuntimeError, match="Expected a 'cuda' device type for generator"):
        rg.randn(2, device="cuda", generator=cpu_generator)
    device_generator = rg.Generator("cuda").manual_seed(1)
    assert rg.rand(2, device="cuda", generator=device_generator).device == "cuda:0"


def test_in_place_random_fills_stay_on_the_device(fake_cuda):
    x = rg.zeros(3, device="cuda")
    x.normal_()
    x.uniform_(-1, 1)
    assert x.device == "cuda:0" and bool((x.cpu().abs() <= 1).all())


def test_the_default_device_applies_to_factories_and_is_a_context(fake_cuda):
    rg.set_default_device("cuda")
    assert rg.get_default_device() == rg.device("cuda")
    assert rg.zeros(2).device == "cuda:0" and rg.tensor([1.0]).device == "cuda:0"
    rg.set_default_device("cpu")
    assert rg.zeros(2).device == "cpu"
    with rg.device("cuda"):
        assert rg.randn(2).device == "cuda:0"
    assert rg.zeros(2).device == "cpu"


def test_a_device_index_beyond_the_machine_raises(fake_cuda):
    with pytest.raises(RuntimeError, match="cuda device 1 does not exist"):
        rg.zeros(2, device="cuda:1")
