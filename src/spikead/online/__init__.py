"""Online (forward-in-time) gradients of recurrent step functions; e-prop.

`value_and_grad(step, loss, method="sparse")` turns a one-step function
``step(params, state, x_t) -> (state, y_t)`` and a per-step loss into
``fn(params, state0, xs, targets) -> (total_loss, grads)``. Methods: "sparse"
(structured eligibility traces from `spikead.ad` structured tensors; exact without
cross-neuron sums of the previous state, e-prop with them when ``approximation="eprop"``
is passed), "bptt", "dense", "rtrl". `classify` says whether the sparse method is exact
for a step ("exact", "exact-factorised") or needs the e-prop opt-in ("approximate");
`eprop_step` is a step with e-prop's ``stop_gradient``s placed, and
`eprop_reference_value_and_grad` Bellec's e-prop by `jax.grad` (the reference the sparse
method equals with ``approximation="eprop"``);
`make_plan` shows the structures the sparse method derives for a step.

The method, one job per module: `_plan` (what the step's Jacobians are: structures,
classification, pruning), `_jacobians` (their values at one point), `_trace` (the
eligibility-trace recursion and its gradient terms), `_sparse` (the scan over time),
`_derived` (state leaves recomputed from the new state, e.g. spikes from the membrane, so
they carry no trace; `reduce_step` drops them from a step and its initial state),
`_reference` (BPTT, dense, RTRL, Bellec's e-prop by `jax.grad`).
Measurements of the method live in `spikead.bench.online`.
"""

from ._api import METHODS as METHODS
from ._api import classify as classify
from ._api import value_and_grad as value_and_grad
from ._contract import APPROXIMATIONS as APPROXIMATIONS
from ._contract import Classification as Classification
from ._derived import ReducedStep as ReducedStep
from ._derived import derived_state as derived_state
from ._derived import reduce_step as reduce_step
from ._eprop import eprop_step as eprop_step
from ._errors import ApproximationRequiredError as ApproximationRequiredError
from ._errors import OnlineError as OnlineError
from ._errors import UnknownMethodError as UnknownMethodError
from ._errors import UnsupportedStepError as UnsupportedStepError
from ._metrics import compare as compare
from ._metrics import compare_trees as compare_trees
from ._metrics import cosine as cosine
from ._models import SingleLayer as SingleLayer
from ._models import make_single_layer as make_single_layer
from ._models import mse as mse
from ._models import random_task as random_task
from ._plan import SparsePlan as SparsePlan
from ._plan import make_plan as make_plan
from ._reference import eprop_reference_value_and_grad as eprop_reference_value_and_grad
from ._reference import scan_loss as scan_loss
