"""A network built from bare tensors learns the practical work's "circles" data set.

H~ = X W_h^T + b_h, H = tanh(H~), Y~ = H W_y^T + b_y, loss = cross-entropy(softmax(Y~), y):
the forward pass records the graph, loss.backward() walks it in reverse, and plain mini-batch
SGD updates the weights. Run with `make demo` or `python examples/demo.py`.
"""
import retrograd as rg
import retrograd.nn.functional as F


def main() -> None:
    rg.manual_seed(0)
    X, y = (rg.tensor(a) for a in rg.datasets.circles(1000, noise=0.08, seed=0))
    n_x, n_h, n_y = 2, 16, 2
    W_h = (rg.randn(n_h, n_x) * 0.3).requires_grad_()   # N(0, 0.3^2), as the practical work
    b_h = rg.zeros(n_h, requires_grad=True)
    W_y = (rg.randn(n_y, n_h) * 0.3).requires_grad_()
    b_y = rg.zeros(n_y, requires_grad=True)
    params = [W_h, b_h, W_y, b_y]
    eta, batch_size = 0.5, 32

    print("epoch   loss    accuracy")
    for epoch in range(1, 31):
        order = rg.randperm(len(X))
        for start in range(0, len(X), batch_size):
            batch = order[start:start + batch_size]
            H = (X[batch] @ W_h.T + b_h).tanh()
            loss = F.cross_entropy(H @ W_y.T + b_y, y[batch])
            loss.backward()
            with rg.no_grad():
                for p in params:
                    p -= eta * p.grad
                    p.grad = None
        if epoch % 5 == 0 or epoch == 1:
            with rg.no_grad():
                logits = (X @ W_h.T + b_h).tanh() @ W_y.T + b_y
                full_loss = F.cross_entropy(logits, y).item()
                accuracy = (logits.argmax(1) == y).float().mean().item()
            print(f"{epoch:5d}  {full_loss:.4f}  {accuracy:8.1%}")


if __name__ == "__main__":
    main()
