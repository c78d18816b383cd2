"""Specs: validate() messages and paths, JSON round trips (Hypothesis over valid specs),
from_dict errors, migrate(), and the output/loss resolution table."""

from __future__ import annotations

import dataclasses
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

import nncore.spec as spec_module
from nncore.activations import ACTIVATIONS, ALIASES
from nncore.bugs import BUGS
from nncore.errors import SpecError
from nncore.initializers import INITIALIZERS
from nncore.losses import LOSSES
from nncore.optimizers import OPTIMIZERS
from nncore.schedules import SCHEDULES
from nncore.spec import (
    SCHEMA_VERSION,
    ActivationSpec,
    DataSpec,
    DenseSpec,
    DropoutSpec,
    NetworkSpec,
    OptimizerSpec,
    Problem,
    Resolved,
    ScheduleSpec,
    TrainingSpec,
    check,
    data_from_dict,
    migrate,
    mlp_spec,
    network_from_dict,
    new_layer_id,
    resolve_output,
    to_dict,
    training_from_dict,
    validate,
    validate_data,
    validate_network,
    validate_training,
)


def _net(*hidden, output=None) -> NetworkSpec:
    return NetworkSpec((*hidden, output or DenseSpec("dense-9", None, "auto")))


def _problems(network=None, training=None, data=None) -> list[Problem]:
    return validate(network or mlp_spec([4]), training or TrainingSpec(), data)


def _only(problems: list[Problem]) -> Problem:
    assert len(problems) == 1, problems
    return problems[0]


# --------------------------------------------------------------------------- validate()


def test_default_specs_are_valid():
    assert validate(mlp_spec([8, 8]), TrainingSpec(), DataSpec()) == []


def test_unknown_activation():
    problem = _only(_problems(_net(DenseSpec("dense-1", 4, "sigmoidd"))))
    assert problem.path == "network.layers[0].activation"
    assert problem.layer_id == "dense-1"
    assert "'sigmoidd'" in problem.message
    assert all(name in problem.message for name in ACTIVATIONS)


def test_zero_units():
    problem = _only(_problems(_net(DenseSpec("dense-1", 0))))
    assert problem.path == "network.layers[0].units"
    assert "got 0" in problem.message


@pytest.mark.parametrize("lr", [-0.1, 0.0, float("nan"), float("inf")])
def test_non_positive_or_non_finite_learning_rate(lr):
    problem = _only(_problems(training=TrainingSpec(optimizer=OptimizerSpec(lr=lr))))
    assert problem.path == "training.optimizer.lr"
    assert f"got {lr!r}" in problem.message


@pytest.mark.parametrize("epochs", [0, -3])
def test_non_positive_epochs(epochs):
    problem = _only(_problems(training=TrainingSpec(epochs=epochs)))
    assert problem.path == "training.epochs"
    assert f"got {epochs}" in problem.message


@pytest.mark.parametrize("rate", [1, 1.0, -0.2])
def test_dropout_rate_outside_zero_one(rate):
    problem = _only(_problems(_net(DenseSpec("dense-1", 4), DropoutSpec("dropout-1", rate))))
    assert problem.path == "network.layers[1].rate"
    assert problem.layer_id == "dropout-1"
    assert f"got {rate!r}" in problem.message


@pytest.mark.parametrize("hidden", [DenseSpec("dense-1", 4, "softmax"),
                                    ActivationSpec("activation-1", "softmax")],
                         ids=["dense", "activation-layer"])
def test_softmax_in_a_hidden_layer(hidden):
    problem = _only(_problems(_net(hidden)))
    assert problem.path == "network.layers[0].activation"
    assert "softmax" in problem.message and "output layer" in problem.message


@pytest.mark.parametrize("last", [DropoutSpec("dropout-1", 0.5),
                                  ActivationSpec("activation-1", "tanh")],
                         ids=["dropout", "activation"])
def test_output_layer_must_be_dense(last):
    problem = _only(_problems(NetworkSpec((DenseSpec("dense-1", 4), last))))
    assert problem.path == "network.layers[1]"
    assert f"not {last.kind}" in problem.message


def test_empty_network():
    assert _only(_problems(NetworkSpec(()))).path == "network.layers"


def test_duplicate_ids():
    problem = _only(_problems(NetworkSpec((DenseSpec("dense-1", 4), DenseSpec("dense-1", 3),
                                           DenseSpec("dense-2", None)))))
    assert problem.path == "network.layers[1].id"
    assert "'dense-1'" in problem.message


@pytest.mark.parametrize(("loss", "output", "needs"), [
    ("cross_entropy", "tanh", "softmax"), ("cross_entropy", "sigmoid", "softmax"),
    ("bce", "linear", "sigmoid"), ("bce", "softmax", "sigmoid")])
def test_loss_that_cannot_go_with_the_output_activation(loss, output, needs):
    problem = _only(_problems(_net(DenseSpec("dense-1", 4), output=DenseSpec("out", None, output)),
                              TrainingSpec(loss=loss)))
    assert problem.path == "training.loss"
    assert problem.layer_id == "out"
    assert output in problem.message and needs in problem.message and loss in problem.message


@pytest.mark.parametrize(("loss", "output"), [
    ("cross_entropy", "softmax"), ("cross_entropy", "auto"), ("bce", "sigmoid"),
    ("bce", "logistic"), ("mse", "softmax"), ("mse", "tanh"), ("huber", "linear"),
    ("auto", "relu")])
def test_compatible_loss_and_output(loss, output):
    assert _problems(_net(output=DenseSpec("out", None, output)), TrainingSpec(loss=loss)) == []


def test_nesterov_without_momentum():
    problem = _only(_problems(training=TrainingSpec(
        optimizer=OptimizerSpec("sgd", nesterov=True))))
    assert problem.path == "training.optimizer.nesterov"
    assert "momentum" in problem.message


def test_nesterov_preset_with_zero_momentum_is_refused():
    problem = _only(_problems(training=TrainingSpec(
        optimizer=OptimizerSpec("nesterov", momentum=0.0))))
    assert problem.path == "training.optimizer.nesterov"


@pytest.mark.parametrize("name", ["adam", "rmsprop", "adagrad", "adamw"])
def test_nesterov_flag_on_a_non_sgd_optimizer_is_refused(name):
    problem = _only(_problems(training=TrainingSpec(
        optimizer=OptimizerSpec(name, nesterov=True))))
    assert problem.path == "training.optimizer.nesterov"
    assert name in problem.message


def test_unknown_bug():
    problem = _only(_problems(training=TrainingSpec(bugs=("off-by-one",))))
    assert problem.path == "training.bugs"
    assert "'off-by-one'" in problem.message
    assert all(code in problem.message for code in BUGS)


@pytest.mark.parametrize(("training", "path", "value"), [
    (TrainingSpec(batch_size=0), "training.batch_size", "0"),
    (TrainingSpec(loss="hinge"), "training.loss", "'hinge'"),
    (TrainingSpec(dtype="float16"), "training.dtype", "'float16'"),
    (TrainingSpec(seed=-1), "training.seed", "-1"),
    (TrainingSpec(huber_delta=0.0), "training.huber_delta", "0.0"),
    (TrainingSpec(optimizer=OptimizerSpec("adamax")), "training.optimizer.name", "'adamax'"),
    (TrainingSpec(optimizer=OptimizerSpec(momentum=1.0)), "training.optimizer.momentum", "1.0"),
    (TrainingSpec(optimizer=OptimizerSpec(beta2=1.5)), "training.optimizer.beta2", "1.5"),
    (TrainingSpec(optimizer=OptimizerSpec(clip_norm=0.0)), "training.optimizer.clip_norm",
     "0.0"),
    (TrainingSpec(schedule=ScheduleSpec("linear")), "training.schedule.name", "'linear'"),
    (TrainingSpec(schedule=ScheduleSpec(gamma=0.0)), "training.schedule.gamma", "0.0"),
    (TrainingSpec(schedule=ScheduleSpec(t_max=0)), "training.schedule.t_max", "0"),
])
def test_other_training_problems_name_path_and_value(training, path, value):
    problem = _only(_problems(training=training))
    assert problem.path == path
    assert value in problem.message


@pytest.mark.parametrize(("data", "path"), [
    (DataSpec(normalize="zscore"), "data.normalize"),
    (DataSpec(val_split=1.0), "data.val_split"),
    (DataSpec(source="file"), "data.path"),
    (DataSpec(val_split=0.5, test_split=0.5), "data.val_split"),
])
def test_data_problems(data, path):
    assert path in [p.path for p in validate_data(data)]


@pytest.mark.parametrize(("layer", "path"), [
    (DenseSpec("dense-1", 4, init="xavier"), "network.layers[0].init"),
    (DenseSpec("dense-1", 4, l2=-1.0), "network.layers[0].l2"),
    (DenseSpec("dense-1", 4, "leaky_relu", activation_alpha=-0.1),
     "network.layers[0].activation_alpha"),
    (DenseSpec("dense-1", None), "network.layers[0].units"),
    (DenseSpec("dense-1", 4, "auto"), "network.layers[0].activation"),
])
def test_layer_problems(layer, path):
    assert _only(validate_network(_net(layer))).path == path


def test_all_problems_are_reported_at_once():
    network = _net(DenseSpec("dense-1", 0, "foo"), DropoutSpec("dropout-1", 2.0))
    training = TrainingSpec(epochs=0, optimizer=OptimizerSpec(lr=0.0))
    paths = {p.path for p in validate(network, training)}
    assert paths == {"network.layers[0].units", "network.layers[0].activation",
                     "network.layers[1].rate", "training.epochs", "training.optimizer.lr"}
    with pytest.raises(SpecError) as info:
        check(network, training)
    assert len(info.value.problems) == 5
    assert "training.epochs: must be at least 1, got 0" in str(info.value)


def test_problem_text_has_path_message_and_fix():
    assert str(Problem("a.b", "is wrong", "do this")) == "a.b: is wrong (do this)"
    assert str(Problem("a.b", "is wrong")) == "a.b: is wrong"


# --------------------------------------------------------------------------- round trips

HIDDEN_ACTIVATIONS = sorted(set(ACTIVATIONS) - {"softmax"}) + sorted(
    a for a, target in ALIASES.items() if target != "softmax")
finite = st.floats(min_value=0.0, max_value=10.0, allow_nan=False)
fraction = st.floats(min_value=0.0, max_value=0.9, exclude_max=True)
optional_alpha = st.none() | finite


@st.composite
def dense_specs(draw, layer_id: str, output: bool = False) -> DenseSpec:
    activations = HIDDEN_ACTIVATIONS + (["softmax", "auto"] if output else [])
    return DenseSpec(
        layer_id, draw(st.none() | st.integers(1, 64)) if output else draw(st.integers(1, 64)),
        draw(st.sampled_from(activations)), draw(optional_alpha),
        draw(st.sampled_from(sorted(INITIALIZERS))),
        draw(st.none() | st.floats(-1.0, 1.0)), draw(st.booleans()), draw(finite), draw(finite))


@st.composite
def network_specs(draw) -> NetworkSpec:
    layers = []
    for kind in draw(st.lists(st.sampled_from(["dense", "dropout", "activation"]),
                              max_size=6)):
        layer_id = new_layer_id(layers, kind)
        if kind == "dense":
            layers.append(draw(dense_specs(layer_id)))
        elif kind == "dropout":
            layers.append(DropoutSpec(layer_id, draw(fraction)))
        else:
            layers.append(ActivationSpec(layer_id, draw(st.sampled_from(HIDDEN_ACTIVATIONS)),
                                         draw(optional_alpha)))
    layers.append(draw(dense_specs(new_layer_id(layers, "dense"), output=True)))
    return NetworkSpec(tuple(layers))


@st.composite
def training_specs(draw) -> TrainingSpec:
    name = draw(st.sampled_from(sorted(OPTIMIZERS)))
    momentum = draw(st.none() | fraction)
    sgd_family = name in ("sgd", "momentum", "nesterov")
    effective = momentum if momentum is not None else (0.0 if name == "sgd" else 0.9)
    if name == "nesterov" and effective == 0:
        momentum = None  # Nesterov without momentum is invalid (tested separately)
        effective = 0.9
    optimizer = OptimizerSpec(
        name, draw(st.floats(1e-6, 10.0)), momentum,
        draw(st.booleans()) if sgd_family and effective > 0 else False,
        draw(fraction), draw(fraction), draw(fraction), draw(st.none() | st.floats(1e-12, 1.0)),
        draw(st.booleans()), draw(st.none() | finite), draw(st.none() | st.floats(0.01, 10.0)))
    schedule = ScheduleSpec(draw(st.sampled_from(sorted(SCHEDULES))), draw(st.integers(1, 50)),
                            draw(st.none() | st.floats(0.01, 1.0)),
                            draw(st.none() | st.integers(1, 500)), draw(finite), draw(finite))
    return TrainingSpec(
        draw(st.sampled_from(["auto", *sorted(LOSSES)])), optimizer, schedule,
        draw(st.none() | st.integers(1, 4096)), draw(st.integers(1, 100_000)),
        draw(st.integers(0, 2**63 - 1)), draw(st.booleans()), draw(st.integers(0, 100)),
        draw(finite), draw(st.booleans()), draw(st.floats(0.01, 10.0)),
        draw(st.sampled_from(["float32", "float64"])),
        tuple(draw(st.lists(st.sampled_from(sorted(BUGS)), unique=True, max_size=3))))


scalars = st.none() | st.booleans() | st.integers(-1000, 1000) | finite | st.text(max_size=8)
options = st.dictionaries(st.text(max_size=6), scalars | st.lists(scalars, max_size=3)
                          | st.dictionaries(st.text(max_size=4), scalars, max_size=2),
                          max_size=4)


@st.composite
def data_specs(draw) -> DataSpec:
    source = draw(st.sampled_from(["spirals", "xor", "mnist", "file"]))
    return DataSpec(source, draw(options),
                    draw(st.text(min_size=1, max_size=12)) if source == "file" else None,
                    draw(st.none() | st.text(max_size=8)),
                    tuple(draw(st.lists(st.sampled_from(["x1^2", "x2^2", "x1*x2", "sin(x1)"]),
                                        max_size=3))),
                    draw(st.sampled_from(["auto", "none", "standard", "minmax"])),
                    draw(st.floats(0.0, 0.45)), draw(st.floats(0.0, 0.45)),
                    draw(st.integers(0, 10**6)))


def _through_json(value):
    return json.loads(json.dumps(to_dict(value), allow_nan=False))


@given(network_specs())
def test_network_spec_round_trips_through_json(spec):
    assert validate_network(spec) == []
    assert network_from_dict(_through_json(spec)) == spec


@given(training_specs())
def test_training_spec_round_trips_through_json(spec):
    assert validate_training(spec) == []
    assert training_from_dict(_through_json(spec)) == spec


@given(data_specs())
def test_data_spec_round_trips_through_json(spec):
    assert validate_data(spec) == []
    assert data_from_dict(_through_json(spec)) == spec


def test_round_trip_restores_types():
    spec = training_from_dict(_through_json(TrainingSpec(bugs=("derivative-of-output",))))
    assert isinstance(spec.bugs, tuple)
    assert isinstance(spec.optimizer, OptimizerSpec)
    layers = network_from_dict(_through_json(mlp_spec([3], dropout=0.1))).layers
    assert isinstance(layers, tuple)
    assert [type(layer) for layer in layers] == [DenseSpec, DropoutSpec, DenseSpec]


def test_missing_fields_take_their_defaults():
    assert training_from_dict({}) == TrainingSpec()
    assert training_from_dict({"optimizer": {"name": "sgd"}}).optimizer == OptimizerSpec("sgd")
    assert network_from_dict({"layers": [{"kind": "dense", "id": "d"}]}) == \
        NetworkSpec((DenseSpec("d"),))


def test_integers_are_accepted_for_float_fields():
    spec = training_from_dict({"optimizer": {"lr": 1}})
    assert spec.optimizer.lr == 1.0 and isinstance(spec.optimizer.lr, float)


# --------------------------------------------------------------------------- from_dict errors


def _from_dict_problems(reader, document) -> list[Problem]:
    with pytest.raises(SpecError) as info:
        reader(document)
    return info.value.problems


@pytest.mark.parametrize(("reader", "document", "path"), [
    (training_from_dict, {"bogus": 1}, "training.bogus"),
    (training_from_dict, {"optimizer": {"momentumm": 0.9}}, "training.optimizer.momentumm"),
    (network_from_dict, {"layers": [{"kind": "dense", "id": "d", "colour": "red"}]},
     "network.layers[0].colour"),
    (data_from_dict, {"sauce": "spirals"}, "data.sauce"),
])
def test_unknown_field(reader, document, path):
    problem = _only(_from_dict_problems(reader, document))
    assert problem.path == path
    assert "unknown field" in problem.message


@pytest.mark.parametrize(("reader", "document", "path", "shown"), [
    (network_from_dict, {"layers": [{"kind": "dense", "id": "d", "units": True}]},
     "network.layers[0].units", "True"),
    (training_from_dict, {"epochs": True}, "training.epochs", "True"),
    (training_from_dict, {"epochs": 10.0}, "training.epochs", "10.0"),
    (training_from_dict, {"seed": "1"}, "training.seed", "'1'"),
    (training_from_dict, {"optimizer": {"lr": "0.1"}}, "training.optimizer.lr", "'0.1'"),
    (training_from_dict, {"optimizer": {"lr": True}}, "training.optimizer.lr", "True"),
    (training_from_dict, {"shuffle": 1}, "training.shuffle", "1"),
    (training_from_dict, {"loss": 3}, "training.loss", "3"),
    (training_from_dict, {"bugs": "derivative-of-output"}, "training.bugs", "str"),
    (training_from_dict, {"optimizer": "adam"}, "training.optimizer", "str"),
    (network_from_dict, {"layers": [{"kind": "dense", "id": "d", "l2": "0"}]},
     "network.layers[0].l2", "'0'"),
    (network_from_dict, {"layers": [{"kind": "dense", "id": "d", "units": None,
                                     "kind2": 1}]}, "network.layers[0].kind2", "kind2"),
    (data_from_dict, {"options": [1, 2]}, "data.options", "list"),
    (data_from_dict, {"options": {"a": [[1]]}}, "data.options.a", "plain values"),
])
def test_wrong_type(reader, document, path, shown):
    problem = _only(_from_dict_problems(reader, document))
    assert problem.path == path
    assert shown in problem.message


@pytest.mark.parametrize(("reader", "document", "path"), [
    (network_from_dict, {}, "network.layers"),
    (network_from_dict, {"layers": [{"kind": "dense"}]}, "network.layers[0].id"),
    (network_from_dict, {"layers": [{"kind": "dropout"}]}, "network.layers[0].id"),
])
def test_missing_required_field(reader, document, path):
    problem = _only(_from_dict_problems(reader, document))
    assert problem.path == path
    assert "missing" in problem.message


@pytest.mark.parametrize(("layer", "path", "message"), [
    ({"id": "d"}, "network.layers[0].kind", "unknown layer kind None"),
    ({"id": "d", "kind": "conv"}, "network.layers[0].kind", "unknown layer kind 'conv'"),
    ("dense", "network.layers[0]", "must be an object"),
])
def test_bad_layer_entries(layer, path, message):
    problem = _only(_from_dict_problems(network_from_dict, {"layers": [layer]}))
    assert problem.path == path
    assert message in problem.message


@pytest.mark.parametrize("document", [None, [], "network", 3])
def test_document_that_is_not_an_object(document):
    problem = _only(_from_dict_problems(network_from_dict, document))
    assert problem.path == "network"


def test_from_dict_reports_every_bad_field_at_once():
    problems = _from_dict_problems(training_from_dict, {"epochs": "10", "seed": 1.5,
                                                        "optimizer": {"lr": "x"}})
    assert {p.path for p in problems} == {"training.epochs", "training.seed",
                                          "training.optimizer.lr"}


def test_deeply_nested_options_are_refused():
    nested: dict = {}
    inner = nested
    for _ in range(10):
        inner["a"] = {}
        inner = inner["a"]
    problem = _only(_from_dict_problems(data_from_dict, {"options": nested}))
    assert "nested too deeply" in problem.message


# --------------------------------------------------------------------------- migrate()


def test_current_version_is_returned_unchanged():
    document = {"schema_version": SCHEMA_VERSION, "network": {"layers": []}}
    assert migrate(dict(document)) == document


@pytest.mark.parametrize("version", [SCHEMA_VERSION + 1, 99])
def test_future_version_is_refused_with_a_clear_message(version):
    with pytest.raises(SpecError) as info:
        migrate({"schema_version": version})
    problem = _only(info.value.problems)
    assert problem.path == "schema_version"
    assert f"version {version}" in problem.message
    assert f"up to {SCHEMA_VERSION}" in problem.message
    assert "update" in problem.fix.lower()


@pytest.mark.parametrize("document", [{}, {"schema_version": None}, {"schema_version": "1"},
                                      {"schema_version": True}, {"schema_version": 0},
                                      {"schema_version": 1.0}])
def test_missing_or_invalid_version_is_refused(document):
    with pytest.raises(SpecError, match="missing or invalid version"):
        migrate(document)


def test_migrations_run_one_step_at_a_time(monkeypatch):
    seen = []

    def one_to_two(d):
        seen.append(d["schema_version"])
        d["renamed"] = d.pop("old")
        return d

    def two_to_three(d):
        seen.append(d["schema_version"])
        return {**d, "added": True}

    monkeypatch.setattr(spec_module, "SCHEMA_VERSION", 3)
    monkeypatch.setattr(spec_module, "MIGRATIONS", {1: one_to_two, 2: two_to_three})
    result = spec_module.migrate({"schema_version": 1, "old": "x"})
    assert seen == [1, 2]
    assert result == {"schema_version": 3, "renamed": "x", "added": True}


def test_every_registered_migration_starts_below_the_current_version():
    assert all(1 <= v < SCHEMA_VERSION for v in spec_module.MIGRATIONS)
    assert set(spec_module.MIGRATIONS) == set(range(1, SCHEMA_VERSION))


# --------------------------------------------------------------------------- resolve_output()

# (task, output activation, loss) -> (activation, loss, n_outputs); multiclass has 3 classes,
# regression 2 targets
RESOLUTION_TABLE = [
    ("binary", "auto", "auto", ("sigmoid", "bce", 1)),
    ("multiclass", "auto", "auto", ("softmax", "cross_entropy", 3)),
    ("regression", "auto", "auto", ("linear", "mse", 2)),
    ("binary", "auto", "cross_entropy", ("softmax", "cross_entropy", 2)),
    ("binary", "softmax", "auto", ("softmax", "cross_entropy", 2)),
    ("binary", "auto", "bce", ("sigmoid", "bce", 1)),
    ("binary", "sigmoid", "mse", ("sigmoid", "mse", 1)),
    ("binary", "tanh", "auto", ("tanh", "mse", 1)),
    ("binary", "auto", "mse", ("sigmoid", "mse", 1)),
    ("multiclass", "auto", "mse", ("softmax", "mse", 3)),
    ("multiclass", "sigmoid", "auto", ("sigmoid", "bce", 3)),
    ("multiclass", "softmax", "cross_entropy", ("softmax", "cross_entropy", 3)),
    ("multiclass", "linear", "mae", ("linear", "mae", 3)),
    ("regression", "auto", "huber", ("linear", "huber", 2)),
    ("regression", "auto", "mae", ("linear", "mae", 2)),
    ("regression", "tanh", "auto", ("tanh", "mse", 2)),
    ("regression", "sigmoid", "auto", ("sigmoid", "mse", 2)),
    ("regression", "relu", "mse", ("relu", "mse", 2)),
    ("regression", "identity", "auto", ("linear", "mse", 2)),
]


@pytest.mark.parametrize(("task", "activation", "loss", "expected"), RESOLUTION_TABLE,
                         ids=["-".join(row[:3]) for row in RESOLUTION_TABLE])
def test_resolve_output(task, activation, loss, expected):
    network = mlp_spec([4], output_activation=activation)
    n_classes = {"binary": 2, "multiclass": 3, "regression": 0}[task]
    resolved = resolve_output(network, TrainingSpec(loss=loss), task, n_classes, n_targets=2)
    assert resolved == Resolved(*expected)


def test_explicit_output_units_win():
    network = NetworkSpec((DenseSpec("dense-1", 4), DenseSpec("dense-2", 5, "auto")))
    assert resolve_output(network, TrainingSpec(), "multiclass", n_classes=3).n_outputs == 5


def test_multiclass_with_one_class_still_gets_two_outputs():
    assert resolve_output(mlp_spec([4]), TrainingSpec(), "multiclass", 1).n_outputs == 2


def test_unknown_task_raises():
    with pytest.raises(ValueError, match="unknown task 'ranking'"):
        resolve_output(mlp_spec([4]), TrainingSpec(), "ranking")


# --------------------------------------------------------------------------- helpers


def test_new_layer_id_skips_used_ids():
    spec = NetworkSpec((DenseSpec("dense-1"), DenseSpec("dense-3"), DropoutSpec("dropout-1")))
    assert new_layer_id(spec, "dense") == "dense-2"
    assert new_layer_id(spec, "dropout") == "dropout-2"
    assert new_layer_id(spec, "activation") == "activation-1"


def test_replace_layer_changes_one_layer_and_keeps_the_rest():
    spec = mlp_spec([4, 5])
    changed = spec.replace_layer("dense-2", units=7, l2=0.1)
    assert changed.layer("dense-2") == dataclasses.replace(spec.layer("dense-2"), units=7,
                                                           l2=0.1)
    assert changed.layer("dense-1") is spec.layer("dense-1")
    assert changed.index_of("dense-3") == 2
    assert spec.layer("dense-2").units == 5  # specs are immutable values


def test_specs_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        TrainingSpec().epochs = 3
