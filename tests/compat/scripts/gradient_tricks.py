# Gradient clipping, accumulation over micro-batches, AdamW, freezing a layer, zero_grad.
# compat: rtol=1e-4 atol=1e-6
import numpy as np
import torch
import torch.nn as nn

rng = np.random.default_rng(11)
x = torch.from_numpy(rng.standard_normal((32, 6)).astype(np.float32))
y = torch.from_numpy(rng.integers(0, 3, 32))
model = nn.Sequential(nn.Linear(6, 12), nn.GELU(), nn.LayerNorm(12), nn.Linear(12, 3))
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.uniform(-0.5, 0.5, p.shape).astype(np.float32)))

for p in model[0].parameters():
    p.requires_grad = False
trainable = [p for p in model.parameters() if p.requires_grad]
print("trainable:", len(trainable), sum(p.numel() for p in trainable))
optimizer = torch.optim.AdamW(trainable, lr=0.02, weight_decay=0.05, amsgrad=True)
criterion = nn.CrossEntropyLoss()
accumulation = 4
for step in range(5):
    optimizer.zero_grad()
    for micro in range(accumulation):
        chunk = slice(micro * 8, micro * 8 + 8)
        loss = criterion(model(x[chunk]), y[chunk]) / accumulation
        loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
    torch.nn.utils.clip_grad_value_(model.parameters(), clip_value=0.1)
    optimizer.step()
    print(f"step {step}: total norm {norm.item():.6f}")

print("frozen grad:", model[0].weight.grad)
print("final loss:", criterion(model(x), y).item())
with torch.no_grad():
    probs = torch.softmax(model(x[:2]), dim=-1)
print("probabilities:", probs.sum(dim=1).tolist(), probs.argmax(dim=1).tolist())
