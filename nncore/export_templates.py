"""The bodies of the exported scripts (``nncore.export``): plain code a student can read.

Each function returns the code after the settings and the data loader; only the parts
the design uses are written (one optimizer, not all of them).
"""

from __future__ import annotations

from typing import Any

NUMPY_ACTIVATIONS = '''# ------------------------------------------------------------ activations
FUSED = LOSS in ("cross_entropy", "bce")
"""With these losses the output layer's softmax or sigmoid is computed inside the loss:
the output layer hands over its raw scores z (the logits), which is stabler."""


def sigmoid(z):
    """The logistic function 1 / (1 + e^-z), written so that e^x never overflows."""
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def activate(name, z, alpha):
    """The activation a = f(z), element by element."""
    if name == "relu":          # f(z) = max(0, z)
        return np.maximum(z, 0)
    if name == "leaky_relu":    # f(z) = z if z > 0 else alpha z
        return np.where(z > 0, z, alpha * z)
    if name == "elu":           # f(z) = z if z > 0 else alpha (e^z - 1)
        return np.where(z > 0, z, alpha * np.expm1(np.minimum(z, 0)))
    if name == "tanh":          # f(z) = tanh z
        return np.tanh(z)
    if name == "sigmoid":       # f(z) = 1 / (1 + e^-z)
        return sigmoid(z)
    return z                    # linear: f(z) = z


def slope(name, z, a, alpha):
    """The derivative f'(z), from z and a = f(z)."""
    if name == "relu":          # f'(z) = 1 if z > 0 else 0
        return (z > 0).astype(z.dtype)
    if name == "leaky_relu":    # f'(z) = 1 if z > 0 else alpha
        return np.where(z > 0, 1.0, alpha).astype(z.dtype)
    if name == "elu":           # f'(z) = 1 if z > 0 else f(z) + alpha
        return np.where(z > 0, 1.0, a + alpha).astype(z.dtype)
    if name == "tanh":          # f'(z) = 1 - tanh(z)^2
        return 1 - a * a
    if name == "sigmoid":       # f'(z) = sigma(z) (1 - sigma(z))
        return a * (1 - a)
    return np.ones_like(z)      # linear: f'(z) = 1


'''

NUMPY_LOSSES = {
    "cross_entropy": '''def loss_and_gradient(z, t):
    """Softmax cross-entropy on the logits z, for one-hot targets t (rows sum to 1):
    L = mean over samples of ( log sum_k e^z_k - sum_k t_k z_k )  (= -sum_k t_k log p_k),
    dL/dz = (softmax(z) - t) / n. Each row is shifted by its maximum first: the softmax
    does not change, and e^z cannot overflow."""
    n = z.shape[0]
    shifted = z - z.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    total = exp.sum(axis=1, keepdims=True)
    loss = (np.log(total).sum() - np.vdot(t, shifted)) / n
    return loss, (exp / total - t) / n

''',
    "bce": '''def loss_and_gradient(z, t):
    """Binary cross-entropy on the logits z, for 0/1 targets t:
    L = mean( log(1 + e^z) - z t )  (= -t log p - (1 - t) log(1 - p) with p = sigmoid(z)),
    dL/dz = (sigmoid(z) - t) / N over all N entries."""
    loss = (np.logaddexp(0, z).sum() - np.vdot(z, t)) / z.size
    return loss, (sigmoid(z) - t) / z.size

''',
    "mse": '''def loss_and_gradient(y, t):
    """Mean squared error over all N entries: L = mean((y - t)^2), dL/dy = 2 (y - t) / N."""
    diff = y - t
    return np.vdot(diff, diff) / diff.size, diff * (2 / diff.size)

''',
}

NUMPY_NETWORK = '''# ------------------------------------------------------------ network
def forward(params, x):
    """Every layer's z = a_prev W + b and a = f(z), from the input x to the output."""
    zs, outputs = [], [x]
    for i, (name, activation, alpha, bias, l1, l2) in enumerate(LAYERS):
        z = outputs[-1] @ params[name + ".weight"]
        if bias:
            z = z + params[name + ".bias"]
        last = i == len(LAYERS) - 1
        zs.append(z)
        outputs.append(z if last and FUSED else activate(activation, z, alpha))
    return zs, outputs


def penalty(params):
    """The regularisation added to the loss: l1 sum|W| + l2 sum W^2 (biases are free)."""
    total = 0.0
    for name, _activation, _alpha, _bias, l1, l2 in LAYERS:
        w = params[name + ".weight"]
        total += l1 * np.abs(w).sum() + l2 * (w * w).sum()
    return total


def gradients(params, x, t):
    """Backpropagation: the gradient of the batch loss with respect to every parameter.

    delta = dL/dz of a layer; dL/dW = a_prev^T delta; dL/db = sum of delta over the batch;
    dL/da_prev = delta W^T, and through the previous activation dL/dz = dL/da * f'(z).
    """
    zs, outputs = forward(params, x)
    _loss, delta = loss_and_gradient(outputs[-1], t)
    grads = {}
    for i in reversed(range(len(LAYERS))):
        name, activation, alpha, bias, l1, l2 = LAYERS[i]
        if not (i == len(LAYERS) - 1 and FUSED):
            delta = delta * slope(activation, zs[i], outputs[i + 1], alpha)  # chain rule
        w = params[name + ".weight"]
        # dL/dW, plus the penalty's gradient l1 sign(W) + 2 l2 W
        grads[name + ".weight"] = outputs[i].T @ delta + l1 * np.sign(w) + 2 * l2 * w
        if bias:
            grads[name + ".bias"] = delta.sum(axis=0)
        delta = delta @ w.T
    return grads


def evaluate(params, x, t):
    """The loss of the whole set (no update), as Backprop Lab records it per epoch."""
    _zs, outputs = forward(params, x)
    return loss_and_gradient(outputs[-1], t)[0] + penalty(params)


'''

NUMPY_OPTIMIZERS = {
    "sgd": '''# ------------------------------------------------------------ optimizer
def make_optimizer(params):
    """SGD keeps one momentum buffer per parameter (unused without momentum)."""
    return {"buffers": {k: np.zeros_like(v) for k, v in params.items()}}


def update(params, grads, state):
    """Stochastic gradient descent (PyTorch's rule):
    g <- g + wd p;  with momentum mu: b <- mu b + g, then g <- b (Nesterov: g <- g + mu b);
    p <- p - lr g."""
    for key, p in params.items():
        g = grads[key] + WEIGHT_DECAY * p
        if MOMENTUM:
            b = state["buffers"][key]
            b *= MOMENTUM
            b += g
            g = g + MOMENTUM * b if NESTEROV else b
        p -= LEARNING_RATE * g


''',
    "adam": '''# ------------------------------------------------------------ optimizer
def make_optimizer(params):
    """Adam keeps running means of the gradient (m) and of its square (v), and a step count."""
    return {"t": 0, "m": {k: np.zeros_like(v) for k, v in params.items()},
            "v": {k: np.zeros_like(v) for k, v in params.items()}}


def update(params, grads, state):
    """Adam (Kingma and Ba, 2015; PyTorch's rule):
    g <- g + wd p;  m <- b1 m + (1 - b1) g;  v <- b2 v + (1 - b2) g^2;
    p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)   (bias-corrected)."""
    state["t"] += 1
    t = state["t"]
    for key, p in params.items():
        g = grads[key] + WEIGHT_DECAY * p
        m, v = state["m"][key], state["v"][key]
        m *= BETA1
        m += (1 - BETA1) * g
        v *= BETA2
        v += (1 - BETA2) * g * g
        p -= LEARNING_RATE / (1 - BETA1 ** t) * m / (np.sqrt(v) / np.sqrt(1 - BETA2 ** t) + EPS)


''',
}

EPOCH_START = '''    # the shuffle generator Backprop Lab uses: the seed's second stream
    rng = np.random.default_rng(np.random.SeedSequence(SEED).spawn(2)[1])
    n = len(x)
    batch = n if BATCH_SIZE is None else max(1, min(BATCH_SIZE, n))
    for epoch in range(1, args.epochs + 1):
        xe, te = x, t
        if SHUFFLE and batch < n:  # a new order every epoch
            order = rng.permutation(n)
            xe, te = x[order], t[order]
'''

EPOCH_END = '''        if not np.isfinite(loss):
            print(f"epoch {epoch} loss {loss}: not finite, stopping (lower the learning rate)")
            break
        print(f"epoch {epoch} loss {loss:.12g}")


if __name__ == "__main__":
    main()
'''

NUMPY_MAIN = '''# ------------------------------------------------------------ training
def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    args = parser.parse_args()
    arrays = load_arrays()
    x, t = arrays["x_train"].astype(DTYPE), arrays["t_train"].astype(DTYPE)
    params = {k[len("init/"):]: v.astype(DTYPE) for k, v in arrays.items()
              if k.startswith("init/")}
    state = make_optimizer(params)
''' + EPOCH_START + '''        for start in range(0, n, batch):
            grads = gradients(params, xe[start:start + batch], te[start:start + batch])
            update(params, grads, state)
        loss = evaluate(params, x[:EVAL_LIMIT], t[:EVAL_LIMIT])
''' + EPOCH_END


def numpy_body(settings: dict[str, Any]) -> str:
    """Activations, the loss, forward/backward, the optimizer and the training loop."""
    return (NUMPY_ACTIVATIONS + "# " + "-" * 60 + " loss\n" + NUMPY_LOSSES[settings["loss"]]
            + "\n" + NUMPY_NETWORK + NUMPY_OPTIMIZERS[settings["optimizer"]] + NUMPY_MAIN)


PYTORCH_LOSSES = {
    "cross_entropy": ("nn.CrossEntropyLoss()",
                      "softmax cross-entropy on the logits, mean over the batch: "
                      "L = mean(-sum_k t_k log softmax(z)_k)"),
    "bce": ("nn.BCEWithLogitsLoss()",
            "binary cross-entropy on the logits: L = mean(-t log p - (1 - t) log(1 - p)), "
            "p = sigmoid(z)"),
    "mse": ("nn.MSELoss()", "mean squared error: L = mean((y - t)^2)"),
}

PYTORCH_OPTIMIZERS = {
    "sgd": ("torch.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=MOMENTUM,\n"
            "                                nesterov=NESTEROV and MOMENTUM > 0, "
            "weight_decay=WEIGHT_DECAY)"),
    "adam": ("torch.optim.Adam(model.parameters(), lr=LEARNING_RATE, betas=(BETA1, BETA2),\n"
             "                                 eps=EPS, weight_decay=WEIGHT_DECAY)"),
}

PYTORCH_BODY = '''import torch  # noqa: E402  (after the settings, so they read first)
from torch import nn  # noqa: E402

FUSED = LOSS in ("cross_entropy", "bce")
"""With these losses the softmax or sigmoid of the output is computed inside the loss, so
the model ends with its raw scores (logits)."""
ACTIVATIONS = {{
    "relu": lambda alpha: nn.ReLU(),                # f(z) = max(0, z)
    "leaky_relu": lambda alpha: nn.LeakyReLU(alpha),  # f(z) = z if z > 0 else alpha z
    "elu": lambda alpha: nn.ELU(alpha),             # f(z) = z if z > 0 else alpha (e^z - 1)
    "tanh": lambda alpha: nn.Tanh(),                # f(z) = tanh z
    "sigmoid": lambda alpha: nn.Sigmoid(),          # f(z) = 1 / (1 + e^-z)
}}


def build_model(arrays):
    """nn.Sequential of Linear layers (z = a W + b) and activations, with the exported
    initial weights (PyTorch stores W transposed: out x in)."""
    modules = []
    for i, (name, activation, alpha, bias, _l1, _l2) in enumerate(LAYERS):
        w = torch.from_numpy(arrays["init/" + name + ".weight"].astype(DTYPE))
        linear = nn.Linear(w.shape[0], w.shape[1], bias=bias)
        with torch.no_grad():
            linear.weight.copy_(w.T)
            if bias:
                linear.bias.copy_(torch.from_numpy(arrays["init/" + name + ".bias"].astype(DTYPE)))
        modules.append(linear)
        last = i == len(LAYERS) - 1
        if activation != "linear" and not (last and FUSED):
            modules.append(ACTIVATIONS[activation](alpha))
    return nn.Sequential(*modules)


def penalty(model):
    """The regularisation added to the loss: l1 sum|W| + l2 sum W^2 (biases are free)."""
    linears = [m for m in model if isinstance(m, nn.Linear)]
    total = 0.0
    for linear, (_name, _activation, _alpha, _bias, l1, l2) in zip(linears, LAYERS):
        if l1:
            total = total + l1 * linear.weight.abs().sum()
        if l2:
            total = total + l2 * (linear.weight ** 2).sum()
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    args = parser.parse_args()
    torch.set_default_dtype(torch.float64 if DTYPE is np.float64 else torch.float32)
    arrays = load_arrays()
    x = torch.from_numpy(arrays["x_train"].astype(DTYPE))
    t = torch.from_numpy(arrays["t_train"].astype(DTYPE))
    model = build_model(arrays)
    loss_fn = {loss}  # {loss_doc}
    optimizer = {optimizer}
{epoch_start}        model.train()
        for start in range(0, n, batch):
            optimizer.zero_grad()
            loss = loss_fn(model(xe[start:start + batch]), te[start:start + batch])
            (loss + penalty(model)).backward()  # backpropagation
            optimizer.step()
        model.eval()
        with torch.no_grad():
            loss = float(loss_fn(model(x[:EVAL_LIMIT]), t[:EVAL_LIMIT]) + penalty(model))
{epoch_end}'''


def pytorch_body(settings: dict[str, Any]) -> str:
    """The model, loss, optimizer and training loop in PyTorch."""
    loss, doc = PYTORCH_LOSSES[settings["loss"]]
    return PYTORCH_BODY.format(loss=loss, loss_doc=doc, epoch_start=EPOCH_START,
                               epoch_end=EPOCH_END,
                               optimizer=PYTORCH_OPTIMIZERS[settings["optimizer"]])
