# Hooks as tutorials use them: activations and gradients of layers, a tensor hook, removal.
# compat: rtol=1e-5 atol=1e-6
import numpy as np
import torch
import torch.nn as nn

rng = np.random.default_rng(0)
model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.uniform(-1, 1, p.shape).astype(np.float32)))

activations, gradients = {}, {}


def save_activation(name):
    def hook(module, inputs, output):
        activations[name] = output.detach()
    return hook


def save_gradient(name):
    def hook(module, grad_input, grad_output):
        gradients[name] = grad_output[0].detach()
    return hook


handles = []
for name, module in model.named_modules():
    if isinstance(module, (nn.Linear, nn.Tanh)):
        handles.append(module.register_forward_hook(save_activation(name)))
        handles.append(module.register_full_backward_hook(save_gradient(name)))


def scale_input(module, args):
    return (args[0] * 2,)


pre = model[0].register_forward_pre_hook(scale_input)
x = torch.from_numpy(rng.standard_normal((5, 3)).astype(np.float32)).requires_grad_()
tensor_grads = []
out = model(x)
out.register_hook(lambda grad: tensor_grads.append(grad.clone()))
out.pow(2).sum().backward()
for name in sorted(activations):
    print("activation", name, activations[name].shape, activations[name].sum().item())
for name in sorted(gradients):
    print("gradient", name, gradients[name].abs().sum().item())
print("tensor hook:", tensor_grads[0].sum().item(), "x.grad:", x.grad.sum().item())

for handle in handles:
    handle.remove()
pre.remove()
activations.clear()
model(x)
print("after remove:", len(activations))
