# The 60-minute blitz's CIFAR-10 classifier: its Net, CrossEntropyLoss and SGD with momentum,
# on synthetic 3x32x32 images; both the old x.view(-1, 16 * 5 * 5) and torch.flatten.
# compat: rtol=1e-3 atol=1e-5
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 6, 5)
        self.pool = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = self.pool(F.relu(self.conv1(x)))
        x = self.pool(F.relu(self.conv2(x)))
        flat = torch.flatten(x, 1)
        x = x.view(-1, 16 * 5 * 5)
        assert torch.equal(flat, x)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x


rng = np.random.default_rng(5)
net = Net()
with torch.no_grad():
    for p in net.parameters():
        bound = 1 / np.sqrt(np.prod(p.shape[1:])) if p.dim() > 1 else 0.05
        p.copy_(torch.from_numpy(rng.uniform(-bound, bound, p.shape).astype(np.float32)))
params = list(net.parameters())
print(len(params), params[0].size())

criterion = nn.CrossEntropyLoss()
optimizer = optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
classes = ("plane", "car", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
prototypes = rng.uniform(-1, 1, (10, 3, 32, 32)).astype(np.float32)
labels = rng.integers(0, 10, 80)
images = prototypes[labels] + 0.3 * rng.standard_normal((80, 3, 32, 32)).astype(np.float32)

for epoch in range(2):
    running_loss = 0.0
    for i in range(0, 80, 4):
        inputs, targets = torch.from_numpy(images[i:i + 4]), torch.from_numpy(labels[i:i + 4])
        optimizer.zero_grad()
        outputs = net(inputs)
        loss = criterion(outputs, targets)
        loss.backward()
        optimizer.step()
        running_loss += loss.item()
        if i % 40 == 36:
            print(f"[{epoch + 1}, {i + 4:5d}] loss: {running_loss / 10:.3f}")
            running_loss = 0.0
print("Finished Training")

torch.save(net.state_dict(), "./cifar_net.pth")
net = Net()
net.load_state_dict(torch.load("./cifar_net.pth", weights_only=True))
outputs = net(torch.from_numpy(images[:4]))
_, predicted = torch.max(outputs, 1)
print("Predicted: ", " ".join(f"{classes[predicted[j]]:5s}" for j in range(4)))
correct_pred = {classname: 0 for classname in classes}
with torch.no_grad():
    predictions = net(torch.from_numpy(images)).argmax(1)
    for label, prediction in zip(torch.from_numpy(labels), predictions):
        if label == prediction:
            correct_pred[classes[label]] += 1
print("correct:", sum(correct_pred.values()))
