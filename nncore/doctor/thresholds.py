"""Every number the doctor decides with, in one place (the reasoning is in docs/doctor.md).

A threshold that raises a finding usually has a softer twin that clears it again
(hysteresis), so a value hovering near the line does not make a finding flicker.
"""

from __future__ import annotations

# -- data ---------------------------------------------------------------------------------

UNNORMALIZED_SCALE = 10.0
"""A feature whose root-mean-square value (what the first layer multiplies) exceeds this is
'large': with Glorot weights of size ~1/sqrt(n) a pre-activation then lands far in the flat
tails of tanh and sigmoid. Every generated data set stays below 3.1; raw Wine reaches 813."""

UNNORMALIZED_RATIO = 100.0
"""Largest / smallest root-mean-square value of the (non-constant) features of a table:
beyond 100 one learning rate cannot suit every weight. Raw Iris is 4.2, raw Breast Cancer
2.3e5. Not applied to images, whose pixels share one unit by construction."""

CONSTANT_FEATURE = 1e-8
"""Features with a smaller standard deviation are constant and ignored by the ratio."""

# -- design -------------------------------------------------------------------------------

CONSTANT_INITIALIZERS = frozenset({"zeros", "constant"})
"""Initialisers that give every unit of a layer the same weights."""

RELU_LIKE = frozenset({"relu", "leaky_relu", "elu", "gelu", "silu", "softplus"})
"""Activations that take He initialisation (the rest take Glorot)."""

# -- persistence and health ---------------------------------------------------------------

MIN_OBSERVATIONS = 3
"""Statistics observations (probe snapshots) a unit-level condition must hold for, and they
must span at least one epoch, before it is raised. A finished run's final statistics count
on their own: the run is over, nothing can flicker."""

HEALTHY_METRIC = 0.9
"""Training accuracy (or R²) at which dead or saturated units are reported as *info*: the
network fits anyway, so they cost capacity, not learning."""

DEAD_RELU_FRACTION = 0.5
"""A ReLU layer with at least this fraction of units that output 0 for every probe sample."""
DEAD_RELU_CLEAR = 0.4
"""... is cleared again below this fraction."""

SATURATED_FRACTION = 0.6
"""A tanh/sigmoid layer with at least this fraction of its outputs within 3 % of a limit
(see ``nncore.diagnostics``), where the slope is below ~0.12 of its maximum."""
SATURATED_CLEAR = 0.5

SYMMETRY_SPREAD = 1e-7
"""``LayerStats.unit_spread`` below this: the units of a layer are still identical copies."""

# -- gradients ----------------------------------------------------------------------------

GRADIENT_RATIO_LOW = 1e-3
"""RMS gradient per weight of the first Dense layer / that of the last one, below which the
gradient has vanished on its way back (three orders of magnitude)."""
GRADIENT_RATIO_HIGH = 1e3
"""... and above which it has exploded."""
GRADIENT_OBSERVATIONS = 5
"""The ratio is the median over this many statistics observations (one batch is noisy)."""
GRADIENT_FLOOR = 1e-9
"""Output-layer RMS gradients below this are 'nothing left to learn' (or a dead network):
there is no ratio to speak of."""


# -- learning rate ------------------------------------------------------------------------

MIN_EPOCHS = 5
"""No loss-curve check looks at fewer epochs than this."""

LR_HIGH_RISE = 0.5
"""The loss 'climbs' when the median of the last ``LR_HIGH_RISE_EPOCHS`` training losses is
more than 50 % above the best so far ..."""
LR_HIGH_RISE_OF_INITIAL = 0.1
"""... and that rise is more than 10 % of the first epoch's loss (so the noise of an
already tiny loss is not mistaken for a climb)."""
LR_HIGH_RISE_EPOCHS = 5

OSCILLATION_WINDOW = 20
"""Epochs in which bouncing is measured."""
OSCILLATION_SIGN_CHANGES = 0.5
"""Fraction of the epoch-to-epoch loss differences that change sign (0.5 ~ random walk)."""
OSCILLATION_AMPLITUDE = 0.1
"""Mean |epoch-to-epoch change| over the mean loss of the window: bounces of 10 % of the
loss, every epoch. (Adam at 0.3 on the spirals: 15 %; at 0.01: falling, not bouncing.)"""
OSCILLATION_AMPLITUDE_OF_INITIAL = 0.05
"""... and at least 5 % of the first epoch's loss."""
OSCILLATION_TREND = 0.9
"""Bouncing only counts when the window's second half is not clearly lower than its first
(mean ratio above this): a loss that falls while it bounces is learning. Nor does it count
once the training score reaches ``HEALTHY_METRIC``: a bit of bounce is harmless then."""

LR_LOW_MIN_EPOCHS = 50
"""The loss 'barely moves' is judged after at least this many epochs ..."""
LR_LOW_WINDOW = 0.2
"""... over the last 20 % of them ..."""
LR_LOW_RELATIVE_CHANGE = 1e-3
"""... when it changed by less than 0.1 % of its value per epoch on average ..."""
LR_LOW_STEP_RATIO = 1e-4
"""... while the steps are tiny: the largest relative weight step of any layer (``lr * |g| /
|W|`` for SGD, divided by ``1 - momentum`` with momentum, ``lr / rms(W)`` for adaptive
rules) is below 1e-4, a tenth of the ~1e-3 that trains well."""
LR_LOW_TARGET_STEP = 1e-3
"""The fix multiplies the learning rate to bring the step ratio to about this (by at least
10 and at most ``LR_LOW_MAX_FACTOR``, never beyond 0.1 for SGD-like rules or 0.01 for
adaptive ones unless that is less than 10 times the current rate)."""
LR_LOW_MAX_FACTOR = 1e4

# -- outcomes -----------------------------------------------------------------------------

CHANCE_TOLERANCE = 0.02
"""The loss is 'at chance' when within 2 % of the entropy of the class frequencies ..."""
CHANCE_EPOCHS = 10
"""... for this many epochs in a row ..."""
CHANCE_ACCURACY_MARGIN = 0.05
"""... and the accuracy is no better than the majority class rate plus 5 points."""
CHANCE_EXACT = 0.002
"""Within 0.2 % of the entropy the outputs *are* the class frequencies (to about three
digits), every class scores the same and the accuracy is only the noise of breaking ties:
the accuracy condition is then waived."""
CHANCE_CLEAR = 0.9
"""Cleared once the loss falls below 90 % of that entropy."""

CAPACITY_MIN_EPOCHS = 50
CAPACITY_METRIC = 0.8
"""Training accuracy (or R²) that a network is 'stuck below' ..."""
CAPACITY_WINDOW = 20
CAPACITY_IMPROVEMENT = 0.01
"""... improving by less than this over the last ``CAPACITY_WINDOW`` epochs ..."""
CAPACITY_MAX_WIDTH = 4
"""... with no hidden layer or a hidden layer this narrow (the bottleneck)."""

OVERFIT_MIN_EPOCHS = 20
OVERFIT_RISE = 0.2
"""Validation loss (median of the last 5 epochs) 20 % above its minimum ..."""
OVERFIT_RISE_OF_INITIAL = 0.1
"""... a rise of at least 10 % of the first validation loss (a rise from 0.09 to 0.13 on
Wine, with the validation accuracy unchanged at 97 %, is over-confidence, not yet worth
a warning) ..."""
OVERFIT_EPOCHS = 10
"""... the minimum at least this many epochs ago ..."""
OVERFIT_TRAIN_DROP = 0.1
"""... while the training loss fell by at least 10 % since that minimum."""

WINDOW = 64
"""Epoch records the runtime doctor keeps (plus running aggregates): O(1) memory per run."""

# -- set-up checks (setup_checks.py) ------------------------------------------------------

HEAVY_DROPOUT = 0.7
"""A dropout rate from which most of the network is silenced on every step (0.1–0.5 is the
usual range; 0.9 leaves a tenth of the units)."""
HEAVY_PENALTY = 0.1
"""An L1/L2 coefficient from which the penalty outweighs the data term of a loss around 1
(usual values 1e-4–1e-2; at 1 every weight is pulled to about 0)."""
TARGET_SCALE = 10.0
"""Root-mean-square size of a regression target above which it is 'large' (the network's
outputs start near 0 and its weights are sized for numbers around 1). Every built-in
regression set stays below 2."""
CLASS_INDEX_MAX_VALUES = 10
"""A regression target with 3 to this many distinct consecutive integers looks like class
indices."""

# -- outcomes judged against what is attainable (outcome.py, reference.py) ------------------

ATTAINABLE_MARGIN = 0.05
"""A run counts as fitting when its training score is within this of the attainable score
(k-NN validation score, or the best straight line's); 'healthy' below ``HEALTHY_METRIC``
on data whose attainable score is lower."""
UNLEARNABLE_MIN_EPOCHS = 20
"""Labels are judged unlearnable after this many epochs ..."""
LINEAR_MIN_EPOCHS = 50
"""'No better than a straight line' is judged after this many epochs ..."""
LINEAR_TOLERANCE = 0.05
"""... when the training MSE is within 5 % of the least-squares line's (or the accuracy
within 1 point of the linear classifier's) ..."""
LINEAR_GAP = 0.03
"""... while k-NN shows the data allows at least this much more R² or accuracy (and at
most half the line's error)."""
IMBALANCE_SHARE = 0.75
"""A majority class of at least this share of the training set is 'imbalanced' ..."""
IMBALANCE_EPOCHS = 10
"""... and a run whose accuracy sits within a point of that share for this many epochs
predicts the majority class only."""
SCHEDULE_DECAYED = 0.01
"""The schedule has 'decayed the learning rate to ~0' below this fraction of its start."""
CLIP_ACTIVE = 0.02
"""Gradient norms within 2 % of ``clip_norm`` at every observation: clipping is active on
every step."""
SMALL_BATCH = 2
"""Batch sizes up to this are 'single samples' (gradient noise of one sample)."""
INIT_GROWTH = 10.0
"""Product over the hidden layers of (initial weight scale / the He or Glorot scale) above
which the initial weights alone make the signal explode (below 1/this: vanish)."""
GAP_RATIO = 20.0
"""Validation loss this many times the training loss ..."""
GAP_ABSOLUTE = 0.1
"""... and at least this much above it ..."""
GAP_METRIC = 0.05
"""... while the validation score trails the training score by this much (or the k-NN
estimate of what is attainable by half of it): the network has memorised its training
set."""
OVERFIT_FLOOR = 1e-3
"""A validation loss below this fraction of the first one is 'about 0': a rise there is
rounding noise, not overfitting ("rose from 0 to 0") ..."""
OVERFIT_ABSOLUTE_FLOOR = 1e-6
"""... as is one below this (a loss that was 0 from the first epoch)."""
EXTREME_LR = {"adaptive": 0.5, "sgd": 5.0}
"""Learning rates far beyond any that trains on standardised data: a run that does not fit
at such a rate is blamed on it, whatever its symptoms (saturated, dead units)."""
