# nn layers and functions beyond the basics, with weights set from NumPy.
# compat: rtol=1e-4 atol=1e-5
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(4)


def set_weights(module):
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-0.5, 0.5, p.shape).astype(np.float32)))
    return module


images = torch.from_numpy(rng.standard_normal((2, 4, 6, 6)).astype(np.float32))
decoder = set_weights(nn.Sequential(
    nn.GroupNorm(2, 4),
    nn.ConvTranspose2d(4, 3, kernel_size=3, stride=2, padding=1, output_padding=1),
    nn.SiLU(),
    nn.Upsample(scale_factor=2, mode="nearest"),
))
print(decoder)
out = decoder(images)
print("decoder:", out.shape, out.sum().item(), out.abs().mean().item())
up = F.interpolate(images, size=(9, 9), mode="bilinear", align_corners=False)
print("bilinear:", up.shape, up[0, 0, 0, :4].tolist())
up = F.interpolate(images, scale_factor=2, mode="bilinear", align_corners=True)
print("align_corners:", up[1, 2, 3, :4].tolist())
signal = torch.from_numpy(rng.standard_normal((2, 3, 7)).astype(np.float32))
deconv = set_weights(nn.ConvTranspose1d(3, 2, kernel_size=3, stride=2))
print("conv_transpose1d:", deconv(signal).shape, deconv(signal)[0, 1, :4].tolist())

vectors = torch.from_numpy(rng.standard_normal((4, 8)).astype(np.float32))
other = torch.from_numpy(rng.standard_normal((4, 8)).astype(np.float32))
print("normalize:", F.normalize(vectors, dim=1).norm(dim=1).tolist())
print("cosine:", F.cosine_similarity(vectors, other).tolist())
print("pairwise:", F.pairwise_distance(vectors, other).tolist())
print("activations:", F.logsigmoid(vectors[0]).tolist()[:3], F.hardtanh(vectors[0] * 2)
      .tolist()[:3], F.relu6(vectors[0] * 5).tolist()[:3], F.mish(vectors[0]).tolist()[:3],
      F.silu(vectors[0]).tolist()[:3])


class Mixture(nn.Module):
    def __init__(self):
        super().__init__()
        self.scales = nn.ParameterList([nn.Parameter(torch.ones(8) * i) for i in range(3)])
        self.shifts = nn.ParameterDict({"left": nn.Parameter(torch.zeros(8)),
                                        "right": nn.Parameter(torch.full((8,), 0.5))})
        self.unflatten = nn.Unflatten(1, (2, 4))
        self.identity = nn.Identity()

    def forward(self, x):
        for scale in self.scales:
            x = x * scale + self.shifts["left"]
        return self.identity(self.unflatten(x + self.shifts["right"]))


mixture = Mixture()
print("parameters:", [name for name, _ in mixture.named_parameters()])
print("state_dict:", list(mixture.state_dict()))
result = mixture(vectors)
result.sum().backward()
print("mixture:", result.shape, mixture.scales[1].grad[:3].tolist(),
      mixture.shifts["right"].grad[:3].tolist())
optimizer = torch.optim.NAdam(mixture.parameters(), lr=0.01)
for _ in range(3):
    optimizer.zero_grad()
    mixture(vectors).pow(2).mean().backward()
    optimizer.step()
print("nadam:", mixture.scales[2][:3].tolist())
optimizer = torch.optim.RAdam(mixture.parameters(), lr=0.01)
scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.1, total_steps=8)
for _ in range(8):
    optimizer.zero_grad()
    mixture(vectors).pow(2).mean().backward()
    optimizer.step()
    scheduler.step()
print("radam + one cycle:", mixture.shifts["left"][:3].tolist(), scheduler.get_last_lr())
