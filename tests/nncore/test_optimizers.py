"""Optimizers: every registered rule, with and without weight decay and gradient clipping,
against the published update rules re-implemented here from the PyTorch documentation's
pseudo-code (float64), on a quadratic and on a small network, through both the flat-buffer
fast path and the per-parameter path; PyTorch twins when torch is installed; state I/O;
mid-run changes; argument errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nncore.network import build, encode_targets
from nncore.optimizers import OPTIMIZERS, make_optimizer
from nncore.parameters import Parameter, find_flat, flatten
from nncore.spec import TrainingSpec, mlp_spec, resolve_output

REF_RTOL = 1e-10  # same formula, float64: only the order of rounding differs
TORCH_RTOL = 1e-6  # GUIDE: 1e-6 relative in float64

# PyTorch's defaults, written out from its documentation (not read from nncore). The
# "momentum" and "nesterov" presets are SGD with momentum 0.9.
PYTORCH_DEFAULTS = {
    "sgd": {"momentum": 0.0, "nesterov": False, "weight_decay": 0.0},
    "momentum": {"momentum": 0.9, "nesterov": False, "weight_decay": 0.0},
    "nesterov": {"momentum": 0.9, "nesterov": True, "weight_decay": 0.0},
    "adagrad": {"lr_decay": 0.0, "weight_decay": 0.0, "initial_accumulator_value": 0.0,
                "eps": 1e-10},
    "rmsprop": {"alpha": 0.99, "eps": 1e-8, "weight_decay": 0.0, "momentum": 0.0,
                "centered": False},
    "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0},
    "adamw": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.01},
}
LEARNING_RATES = {"sgd": 0.05, "momentum": 0.02, "nesterov": 0.02, "adagrad": 0.5,
                  "rmsprop": 0.01, "adam": 0.1, "adamw": 0.1}

RULES = [
    ("sgd", {}), ("sgd", {"weight_decay": 0.1}),
    ("momentum", {}), ("momentum", {"momentum": 0.5, "weight_decay": 0.1}),
    ("nesterov", {}), ("nesterov", {"weight_decay": 0.1}),
    ("adagrad", {}), ("adagrad", {"weight_decay": 0.1}),
    ("adagrad", {"lr_decay": 0.05, "initial_accumulator_value": 0.1, "eps": 1e-6}),
    ("rmsprop", {}), ("rmsprop", {"weight_decay": 0.1}), ("rmsprop", {"momentum": 0.9}),
    ("rmsprop", {"centered": True}),
    ("rmsprop", {"centered": True, "momentum": 0.5, "alpha": 0.9, "weight_decay": 0.05}),
    ("adam", {}), ("adam", {"weight_decay": 0.1}),
    ("adam", {"beta1": 0.8, "beta2": 0.99, "eps": 1e-6}),
    ("adamw", {}), ("adamw", {"weight_decay": 0.1}),
]
CONFIGS = [(name, hyper, clip) for name, hyper in RULES for clip in (None, 0.5)]


def _config_id(config) -> str:
    name, hyper, clip = config
    parts = [name, *(f"{k}={v}" for k, v in hyper.items())]
    if clip is not None:
        parts.append(f"clip={clip}")
    return "-".join(parts)


CONFIG_IDS = [_config_id(c) for c in CONFIGS]


def test_every_registered_optimizer_is_covered():
    assert set(OPTIMIZERS) == set(PYTORCH_DEFAULTS) == {name for name, _ in RULES}


@pytest.mark.parametrize("name", sorted(PYTORCH_DEFAULTS))
def test_default_hyperparameters_are_pytorchs(name):
    assert OPTIMIZERS[name].hyperparameters == PYTORCH_DEFAULTS[name]


# --------------------------------------------------------------------------- reference rules


def _sgd(theta, g, st, t, lr, h):
    if h["weight_decay"]:
        g = g + h["weight_decay"] * theta
    if h["momentum"]:
        st["b"] = g.copy() if t == 1 else h["momentum"] * st["b"] + g  # dampening 0
        g = g + h["momentum"] * st["b"] if h["nesterov"] else st["b"]
    theta -= lr * g


def _adagrad(theta, g, st, t, lr, h):
    if h["weight_decay"]:
        g = g + h["weight_decay"] * theta
    clr = lr / (1 + (t - 1) * h["lr_decay"])
    if "sum" not in st:
        st["sum"] = np.full_like(theta, h["initial_accumulator_value"])
    st["sum"] = st["sum"] + g * g
    theta -= clr * g / (np.sqrt(st["sum"]) + h["eps"])


def _rmsprop(theta, g, st, t, lr, h):
    alpha = h["alpha"]
    if h["weight_decay"]:
        g = g + h["weight_decay"] * theta
    st["v"] = alpha * st.get("v", 0.0) + (1 - alpha) * g * g
    avg = st["v"]
    if h["centered"]:
        st["g"] = alpha * st.get("g", 0.0) + (1 - alpha) * g
        avg = avg - st["g"] ** 2
    denom = np.sqrt(avg) + h["eps"]
    if h["momentum"] > 0:
        st["b"] = h["momentum"] * st.get("b", 0.0) + g / denom
        theta -= lr * st["b"]
    else:
        theta -= lr * g / denom


def _adam(theta, g, st, t, lr, h, *, decoupled=False):
    b1, b2 = h["beta1"], h["beta2"]
    if decoupled:
        theta -= lr * h["weight_decay"] * theta
    elif h["weight_decay"]:
        g = g + h["weight_decay"] * theta
    st["m"] = b1 * st.get("m", 0.0) + (1 - b1) * g
    st["v"] = b2 * st.get("v", 0.0) + (1 - b2) * g * g
    m_hat = st["m"] / (1 - b1 ** t)
    v_hat = st["v"] / (1 - b2 ** t)
    theta -= lr * m_hat / (np.sqrt(v_hat) + h["eps"])


REFERENCE_RULES = {"sgd": _sgd, "momentum": _sgd, "nesterov": _sgd, "adagrad": _adagrad,
                   "rmsprop": _rmsprop, "adam": _adam,
                   "adamw": lambda *a: _adam(*a, decoupled=True)}


class ReferenceOptimizer:
    """PyTorch's published rules, one tensor at a time, plus ``clip_grad_norm_``."""

    def __init__(self, name, lr, clip_norm=None, **hyper):
        self.rule = REFERENCE_RULES[name]
        self.hyper = {**PYTORCH_DEFAULTS[name], **hyper}
        self.lr, self.clip_norm, self.t = lr, clip_norm, 0
        self.states: dict[int, dict] = {}

    def step(self, values, grads):
        self.t += 1
        grads = [np.array(g, dtype=np.float64) for g in grads]
        if self.clip_norm is not None:
            total = math.sqrt(sum(float(np.sum(g * g)) for g in grads))
            coef = min(1.0, self.clip_norm / (total + 1e-6))
            grads = [g * coef for g in grads]
        for i, (theta, g) in enumerate(zip(values, grads)):
            self.rule(theta, g, self.states.setdefault(i, {}), self.t, self.lr, self.hyper)


# --------------------------------------------------------------------------- problems

SHAPES = [(2, 3), (4,)]


def _quadratic(seed=0):
    """``f(p) = 1/2 p^T A p - b^T p`` on 10 numbers, A SPD with eigenvalues in [0.5, 5]."""
    rng = np.random.default_rng(seed)
    q, _ = np.linalg.qr(rng.normal(size=(10, 10)))
    a = q @ np.diag(np.linspace(0.5, 5.0, 10)) @ q.T
    return a, rng.normal(size=10) * 3, rng.normal(size=10)


def _split(vector):
    return [vector[:6].reshape(2, 3).copy(), vector[6:].copy()]


def _quadratic_gradient(a, b, values):
    g = a @ np.concatenate([v.ravel() for v in values]) - b
    return _split(g)


def _parameters(p0, *, flat: bool):
    params = [Parameter.zeros_like(f"p{i}", v) for i, v in enumerate(_split(p0))]
    if flat:
        flatten(params, np.float64)
        assert find_flat(params) is not None
    else:
        assert find_flat(params) is None
    return params


def _run_quadratic(config, *, flat, steps=25, lr_changes=None):
    """nncore and the reference from the same start; returns both trajectories."""
    name, hyper, clip = config
    a, b, p0 = _quadratic()
    params = _parameters(p0, flat=flat)
    opt = make_optimizer(name, params, LEARNING_RATES[name], clip_norm=clip, **hyper)
    ref = ReferenceOptimizer(name, LEARNING_RATES[name], clip, **hyper)
    ref_values = _split(p0)
    ours, theirs = [], []
    for step in range(steps):
        if lr_changes and step in lr_changes:
            opt.lr = ref.lr = lr_changes[step]
        for p, g in zip(params, _quadratic_gradient(a, b, [p.value for p in params])):
            p.grad[...] = g
        opt.step()
        ref.step(ref_values, _quadratic_gradient(a, b, ref_values))
        ours.append(np.concatenate([p.value.ravel() for p in params]))
        theirs.append(np.concatenate([v.ravel() for v in ref_values]))
    return np.array(ours), np.array(theirs)


@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
@pytest.mark.parametrize("flat", [True, False], ids=["flat", "per-parameter"])
def test_quadratic_trajectory_matches_reference(config, flat):
    ours, reference = _run_quadratic(config, flat=flat)
    assert not np.allclose(reference[-1], reference[0])  # the problem really moves
    np.testing.assert_allclose(ours, reference, rtol=REF_RTOL, atol=1e-12)


@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
def test_flat_and_per_parameter_paths_agree(config):
    flat, _ = _run_quadratic(config, flat=True, steps=10)
    per_parameter, _ = _run_quadratic(config, flat=False, steps=10)
    np.testing.assert_allclose(flat, per_parameter, rtol=1e-13, atol=1e-15)


def _network_problem():
    spec = mlp_spec([4], "tanh")
    resolved = resolve_output(spec, TrainingSpec(loss="mse"), "regression", n_targets=2)

    def make():
        return build(spec, n_inputs=3, resolved=resolved, rng=np.random.default_rng(5),
                     dtype=np.float64)
    rng = np.random.default_rng(6)
    x = rng.normal(size=(8, 3))
    t = encode_targets(rng.normal(size=(8, 2)), "regression", 2, np.float64)
    return make, x, t


@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
@pytest.mark.parametrize("flat", [True, False], ids=["flat", "per-parameter"])
def test_network_training_matches_reference(config, flat):
    name, hyper, clip = config
    lr = LEARNING_RATES[name] / 5
    make, x, t = _network_problem()
    net, ref_net = make(), make()
    if flat:
        params = net.parameters()
        assert find_flat(params) is net.flat or find_flat(params) is not None
    else:  # stand-alone copies: gradients are copied in from the network each step
        params = [Parameter.zeros_like(p.name, p.value.copy()) for p in net.parameters()]
        assert find_flat(params) is None
    opt = make_optimizer(name, params, lr, clip_norm=clip, **hyper)
    ref = ReferenceOptimizer(name, lr, clip, **hyper)
    for _ in range(15):
        if not flat:
            net.set_weights({p.name: p.value for p in params})
        net.compute_gradients(x, t)
        if not flat:
            for p, q in zip(params, net.parameters()):
                p.grad[...] = q.grad
        opt.step()
        ref_net.compute_gradients(x, t)
        ref_params = ref_net.parameters()
        ref.step([p.value for p in ref_params], [p.grad for p in ref_params])
    ours = np.concatenate([p.value.ravel() for p in params])
    assert not np.allclose(ref_net.flat.values, make().flat.values)
    np.testing.assert_allclose(ours, ref_net.flat.values, rtol=REF_RTOL, atol=1e-12)


# --------------------------------------------------------------------------- PyTorch twins


def _torch_optimizer(torch, name, params, lr, hyper):
    h = {**PYTORCH_DEFAULTS[name], **hyper}
    if name in ("sgd", "momentum", "nesterov"):
        return torch.optim.SGD(params, lr=lr, momentum=h["momentum"], nesterov=h["nesterov"],
                               weight_decay=h["weight_decay"])
    if name == "adagrad":
        return torch.optim.Adagrad(params, lr=lr, lr_decay=h["lr_decay"], eps=h["eps"],
                                   weight_decay=h["weight_decay"],
                                   initial_accumulator_value=h["initial_accumulator_value"])
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=h["alpha"], eps=h["eps"],
                                   weight_decay=h["weight_decay"], momentum=h["momentum"],
                                   centered=h["centered"])
    cls = torch.optim.AdamW if name == "adamw" else torch.optim.Adam
    return cls(params, lr=lr, betas=(h["beta1"], h["beta2"]), eps=h["eps"],
               weight_decay=h["weight_decay"])


@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
def test_quadratic_trajectory_matches_torch(config):
    torch = pytest.importorskip("torch")
    name, hyper, clip = config
    lr = LEARNING_RATES[name]
    a, b, p0 = _quadratic()
    params = _parameters(p0, flat=True)
    opt = make_optimizer(name, params, lr, clip_norm=clip, **hyper)
    tensors = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in _split(p0)]
    torch_opt = _torch_optimizer(torch, name, tensors, lr, hyper)
    for _ in range(20):
        for p, g in zip(params, _quadratic_gradient(a, b, [p.value for p in params])):
            p.grad[...] = g
        opt.step()
        grads = _quadratic_gradient(a, b, [t.detach().numpy() for t in tensors])
        for tensor, g in zip(tensors, grads):
            tensor.grad = torch.from_numpy(g)
        if clip is not None:
            torch.nn.utils.clip_grad_norm_(tensors, clip)
        torch_opt.step()
        for p, tensor in zip(params, tensors):
            np.testing.assert_allclose(p.value, tensor.detach().numpy(), rtol=TORCH_RTOL,
                                       atol=1e-12)


# --------------------------------------------------------------------------- state and changes


def _gradients_for(params, a, b):
    for p, g in zip(params, _quadratic_gradient(a, b, [p.value for p in params])):
        p.grad[...] = g


@pytest.mark.parametrize("config", CONFIGS, ids=CONFIG_IDS)
@pytest.mark.parametrize(("flat_from", "flat_to"), [(True, True), (False, False), (True, False)],
                         ids=["flat", "per-parameter", "flat-to-per-parameter"])
def test_state_dict_round_trip_resumes_identically(config, flat_from, flat_to):
    name, hyper, clip = config
    lr = LEARNING_RATES[name]
    a, b, p0 = _quadratic()
    params = _parameters(p0, flat=flat_from)
    opt = make_optimizer(name, params, lr, clip_norm=clip, **hyper)
    for _ in range(5):
        _gradients_for(params, a, b)
        opt.step()
    state = opt.state_dict()
    resumed_params = _parameters(np.concatenate([p.value.ravel() for p in params]),
                                 flat=flat_to)
    resumed = make_optimizer(name, resumed_params, lr, clip_norm=clip, **hyper)
    resumed.load_state_dict(state)
    assert resumed.step_count == opt.step_count == 5
    for _ in range(10):
        for group in (params, resumed_params):
            _gradients_for(group, a, b)
        opt.step()
        resumed.step()
    for p, q in zip(params, resumed_params):
        if flat_from == flat_to:
            np.testing.assert_array_equal(q.value, p.value)
        else:  # the paths sum the clipping norm in a different order: rounding differs
            np.testing.assert_allclose(q.value, p.value, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", ["momentum", "rmsprop", "adam"])
def test_state_dict_holds_copies(name):
    a, b, p0 = _quadratic()
    params = _parameters(p0, flat=True)
    opt = make_optimizer(name, params, 0.01, centered=True) if name == "rmsprop" else \
        make_optimizer(name, params, 0.01)
    _gradients_for(params, a, b)
    opt.step()
    state = opt.state_dict()
    snapshot = {k: {s: v.copy() for s, v in d.items()} for k, d in state["state"].items()}
    for arrays in state["state"].values():
        for v in arrays.values():
            v[...] = 1e9
    again = opt.state_dict()["state"]
    for key, arrays in snapshot.items():
        for slot, value in arrays.items():
            np.testing.assert_array_equal(again[key][slot], value)


def test_state_dict_is_keyed_by_parameter_name_and_shaped_like_it():
    _, _, p0 = _quadratic()
    params = _parameters(p0, flat=True)
    opt = make_optimizer("adam", params, 0.01)
    state = opt.state_dict()
    assert state["name"] == "adam" and state["step"] == 0
    assert set(state["state"]) == {"p0", "p1"}
    assert state["state"]["p0"]["exp_avg"].shape == (2, 3)
    assert state["state"]["p1"]["exp_avg_sq"].shape == (4,)


@pytest.mark.parametrize(("change", "message"), [
    (lambda s: s.update(name="sgd"), "for 'sgd', not 'adam'"),
    (lambda s: s["state"].pop("p1"), "'p1' is missing"),
    (lambda s: s["state"]["p0"].update(exp_avg=np.zeros(3)), "'p0'.exp_avg"),
])
def test_load_state_dict_errors_name_what_does_not_fit(change, message):
    _, _, p0 = _quadratic()
    opt = make_optimizer("adam", _parameters(p0, flat=True), 0.01)
    state = opt.state_dict()
    change(state)
    with pytest.raises(ValueError, match=message):
        make_optimizer("adam", _parameters(p0, flat=True), 0.01).load_state_dict(state)


@pytest.mark.parametrize("config", [c for c in CONFIGS if c[2] is None],
                         ids=[i for c, i in zip(CONFIGS, CONFIG_IDS) if c[2] is None])
def test_learning_rate_change_between_steps_takes_effect(config):
    name = config[0]
    changes = {4: LEARNING_RATES[name] * 3, 9: LEARNING_RATES[name] / 7}
    ours, reference = _run_quadratic(config, flat=True, steps=14, lr_changes=changes)
    np.testing.assert_allclose(ours, reference, rtol=REF_RTOL, atol=1e-12)
    unchanged, _ = _run_quadratic(config, flat=True, steps=14)
    assert not np.allclose(ours[-1], unchanged[-1])


@pytest.mark.parametrize(("name", "attribute", "value"), [
    ("momentum", "momentum", 0.5), ("adam", "beta1", 0.5), ("rmsprop", "alpha", 0.5),
    ("adamw", "weight_decay", 0.5),
])
def test_hyperparameter_change_between_steps_takes_effect(name, attribute, value):
    a, b, p0 = _quadratic()
    params = _parameters(p0, flat=True)
    lr = LEARNING_RATES[name]
    opt = make_optimizer(name, params, lr)
    ref = ReferenceOptimizer(name, lr)
    ref_values = _split(p0)
    for step in range(10):
        if step == 3:
            setattr(opt, attribute, value)
            ref.hyper[attribute] = value
        _gradients_for(params, a, b)
        opt.step()
        ref.step(ref_values, _quadratic_gradient(a, b, ref_values))
    for p, v in zip(params, ref_values):
        np.testing.assert_allclose(p.value, v, rtol=REF_RTOL, atol=1e-12)


# --------------------------------------------------------------------------- clipping, dtype


def test_clip_norm_rescales_the_global_gradient_and_records_its_norm():
    params = _parameters(np.zeros(10), flat=False)
    params[0].grad[...] = 3.0
    params[1].grad[...] = 4.0
    norm = math.sqrt(6 * 9 + 4 * 16)
    opt = make_optimizer("sgd", params, 0.1, clip_norm=1.0)
    opt.step()
    assert opt.last_grad_norm == pytest.approx(norm, rel=1e-15)
    clipped = math.sqrt(sum(float(np.sum(p.grad ** 2)) for p in params))
    assert clipped == pytest.approx(1.0, rel=1e-5)
    np.testing.assert_allclose(params[0].value, -0.1 * 3.0 / (norm + 1e-6), rtol=1e-12)


def test_clip_norm_leaves_small_gradients_alone():
    params = _parameters(np.zeros(10), flat=True)
    params[0].grad[...] = 0.01
    opt = make_optimizer("sgd", params, 1.0, clip_norm=1.0)
    opt.step()
    np.testing.assert_array_equal(params[0].value, -0.01)


@pytest.mark.parametrize("config", [c for c in CONFIGS if c[2] is None],
                         ids=[i for c, i in zip(CONFIGS, CONFIG_IDS) if c[2] is None])
def test_float32_parameters_and_state_stay_float32(config):
    name, hyper, _ = config
    net = _network_problem()[0]()
    params = [Parameter.zeros_like(p.name, p.value.astype(np.float32)) for p in net.parameters()]
    flatten(params, np.float32)
    opt = make_optimizer(name, params, 0.01, **hyper)
    for p in params:
        p.grad[...] = 0.5
    opt.step()
    opt.step()
    assert all(p.value.dtype == np.float32 for p in params)
    for arrays in opt.state_dict()["state"].values():
        assert all(v.dtype == np.float32 for v in arrays.values())


def test_step_counter_and_zero_grad():
    params = _parameters(np.ones(10), flat=True)
    opt = make_optimizer("adam", params, 0.01)
    for p in params:
        p.grad[...] = 2.0
    assert opt.gradient_norm() == pytest.approx(math.sqrt(10 * 4.0), rel=1e-15)
    opt.step()
    opt.step()
    assert opt.step_count == 2
    opt.zero_grad()
    assert all(np.all(p.grad == 0) for p in params)


# --------------------------------------------------------------------------- argument errors


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
@pytest.mark.parametrize("lr", [0.0, -0.1, math.nan, math.inf])
def test_invalid_learning_rate_raises_value_error_naming_it(name, lr):
    with pytest.raises(ValueError, match="learning rate") as info:
        OPTIMIZERS[name](_parameters(np.zeros(10), flat=True), lr)
    assert repr(lr) in str(info.value)


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_unknown_hyperparameter_raises_type_error(name):
    with pytest.raises(TypeError, match="'betaa'"):
        OPTIMIZERS[name](_parameters(np.zeros(10), flat=True), 0.1, betaa=0.9)


def test_make_optimizer_rejects_unknown_names():
    with pytest.raises(ValueError, match="unknown optimizer 'adamm'"):
        make_optimizer("adamm", _parameters(np.zeros(10), flat=True), 0.1)


def test_make_optimizer_treats_none_as_the_default():
    opt = make_optimizer("rmsprop", _parameters(np.zeros(10), flat=True), 0.1, momentum=None,
                         eps=None, beta1=0.5)  # beta1 is not RMSprop's: ignored
    assert opt.momentum == 0.0 and opt.eps == 1e-8
