"""The practical work end to end: a one-hidden-layer network written by hand in NumPy (no
autograd) learns the two concentric circles.

    python examples/scratch_circles.py

Every equation of the forward and backward passes is in ``retrograd/scratch/network.py``.
"""
import retrograd as rg
from retrograd import scratch

# data: two concentric circles, one example per row; targets one-hot
X_train, y_train = rg.datasets.circles(800, noise=0.1, seed=0)
X_test, y_test = rg.datasets.circles(200, noise=0.1, seed=1)
Y_train, Y_test = scratch.one_hot(y_train, 2), scratch.one_hot(y_test, 2)

# 2 inputs, 10 hidden tanh units, 2 softmax outputs; every parameter drawn from N(0, 0.3^2)
params = scratch.init_params(nx=2, nh=10, ny=2, seed=0)

# one step by hand: forward, loss, backward, update
Yhat, outputs = scratch.forward(params, X_train[:10])
loss, accuracy = scratch.loss_accuracy(Yhat, Y_train[:10])
grads = scratch.backward(params, outputs, Y_train[:10])
scratch.sgd(params, grads, eta=0.3)
print(f"first batch: loss {loss:.4f}, accuracy {accuracy:.0%}; "
      f"gradient shapes {({name: grad.shape for name, grad in grads.items()})}")

# the learning algorithm: mini-batches of 10, 30 epochs, loss and accuracy printed per epoch
history = scratch.train(params, X_train, Y_train, eta=0.3, epochs=30, batch_size=10, seed=0,
                        X_val=X_test, Y_val=Y_test, verbose=True)

# the homework's variant: softplus hidden layer, L2 penalty, full-batch gradient descent
homework = scratch.Config(activation="softplus", l2=1e-4)
params = scratch.init_params(nx=2, nh=10, ny=2, seed=0)
history = scratch.train(params, X_train, Y_train, eta=1.0, epochs=500, mode="full",
                        config=homework)
print(f"homework variant after 500 full-batch steps: loss {history['train_loss'][-1]:.4f}, "
      f"accuracy {history['train_acc'][-1]:.1%}")
