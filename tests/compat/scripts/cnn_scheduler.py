# A small CNN with batch norm on 8x8 images: SGD with momentum and weight decay, a cosine
# schedule, a validation pass each epoch, the best model kept.
# compat: rtol=1e-3 atol=1e-5
import copy

import numpy as np
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset

rng = np.random.default_rng(3)
labels = rng.integers(0, 4, 160)
patterns = rng.standard_normal((4, 1, 8, 8)).astype(np.float32)
images = patterns[labels] + 0.8 * rng.standard_normal((160, 1, 8, 8)).astype(np.float32)
train = TensorDataset(torch.tensor(images[:128]), torch.tensor(labels[:128]))
valid = TensorDataset(torch.tensor(images[128:]), torch.tensor(labels[128:]))


class SmallCNN(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, kernel_size=3, padding=1),
            nn.BatchNorm2d(8),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),
            nn.Conv2d(8, 16, kernel_size=3, padding=1),
            nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d((2, 2)),
        )
        self.classifier = nn.Linear(16 * 2 * 2, num_classes)

    def forward(self, x):
        x = self.features(x)
        x = x.view(x.size(0), -1)
        return self.classifier(x)


model = SmallCNN()
with torch.no_grad():
    for name, p in model.named_parameters():
        if "weight" in name and p.dim() > 1:
            p.copy_(torch.from_numpy(rng.normal(0, 0.3, tuple(p.shape)).astype(np.float32)))
        elif "bias" in name:
            p.zero_()
print(sum(p.numel() for p in model.parameters() if p.requires_grad), "parameters")

criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4,
                            nesterov=True)
scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=6, eta_min=1e-3)
train_loader = DataLoader(train, batch_size=32, shuffle=False, drop_last=True)
valid_loader = DataLoader(valid, batch_size=32)

best_acc, best_state = 0.0, None
for epoch in range(6):
    model.train()
    running = 0.0
    for inputs, targets in train_loader:
        optimizer.zero_grad(set_to_none=True)
        outputs = model(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        running += loss.item() * inputs.size(0)
    scheduler.step()
    model.eval()
    correct = 0
    with torch.inference_mode():
        for inputs, targets in valid_loader:
            _, predicted = torch.max(model(inputs), 1)
            correct += (predicted == targets).sum().item()
    acc = correct / len(valid)
    if acc >= best_acc:
        best_acc, best_state = acc, copy.deepcopy(model.state_dict())
    print(f"epoch {epoch}: loss {running / len(train):.5f} acc {acc:.3f} "
          f"lr {scheduler.get_last_lr()[0]:.5f}")

model.load_state_dict(best_state)
print("best:", best_acc, "running_mean:", model.features[1].running_mean[:3].tolist())
print("batches tracked:", model.features[1].num_batches_tracked.item())
