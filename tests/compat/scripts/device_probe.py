# How scripts choose a device and move work to it, and back to NumPy.
# compat: rtol=1e-5 atol=1e-6
import numpy as np
import torch
import torch.nn as nn

device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
if torch.backends.mps.is_available():
    device = torch.device("mps")
print("device:", device, device.type, torch.cuda.device_count() >= 0)

model = nn.Linear(4, 2).to(device)
with torch.no_grad():
    model.weight.copy_(torch.arange(8, dtype=torch.float32).reshape(2, 4) / 10)
    model.bias.zero_()
x = torch.ones(3, 4).to(device)
x = x.to(device, non_blocking=True)
y = model(x)
print("parameter device:", next(model.parameters()).device.type, y.device.type)
print("is_cuda:", y.is_cuda, x.is_cuda)
print("back:", y.detach().cpu().numpy().tolist())
z = torch.zeros(2, device=device)
z2 = torch.tensor([1.0, 2.0], device=device)
print("on device:", (z + z2).tolist(), z.device == z2.device)
print("numpy:", type(y.detach().cpu().numpy()).__name__, y.cpu().detach().numpy().dtype)
a = np.ones(3)
t = torch.from_numpy(a)
np.add(a, 1, out=a)
print("shared:", t.tolist(), t.dtype)
