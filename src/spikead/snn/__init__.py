"""Spiking neural networks in JAX/Equinox.

Layers act on ONE sample and ONE time step: `state, y = layer(state, x, key=None)`;
`layer.init_state(in_shape)` builds the initial state. Time is added by `run` (a
`lax.scan`), batch by `jax.vmap` or `run_batched`. Networks (`Sequential`, `Graph`) follow
the same protocol, so they nest. Stateless Equinox layers (`eqx.nn.Linear`, ...) can be used
directly inside networks (their state is `()`).

Time semantics: within one step, layers of a `Sequential` and same-step `Graph` edges see
the output of the SAME step; `Graph(recurrent=...)` edges see the PREVIOUS step (zeros at
t = 0). Neurons compute the spike of step t from the pre-reset membrane of step t; the reset
it causes is applied at the start of step t+1 (see each neuron's docstring for equations).

Training some parameters only: `params, static = eqx.partition(model,
snn.trainable_filter(model, freeze=("beta", "threshold")))`, differentiate w.r.t. `params`
and rebuild with `eqx.combine(params, static)`.
"""

from ._adaptive import ALIF as ALIF
from ._adaptive import AdLIF as AdLIF
from ._base import StatefulLayer as StatefulLayer
from ._base import apply_layer as apply_layer
from ._base import init_layer_state as init_layer_state
from ._base import is_stateful as is_stateful
from ._base import output_spec as output_spec
from ._encoders import delta_encode as delta_encode
from ._encoders import latency_encode as latency_encode
from ._encoders import rate_encode as rate_encode
from ._errors import CycleError as CycleError
from ._errors import GraphError as GraphError
from ._errors import ParameterError as ParameterError
from ._errors import ShapeError as ShapeError
from ._errors import SNNError as SNNError
from ._errors import UnknownNameError as UnknownNameError
from ._filters import trainable_filter as trainable_filter
from ._graph import Graph as Graph
from ._io import load as load
from ._io import save as save
from ._layers import Flatten as Flatten
from ._layers import Residual as Residual
from ._layers import SpikeCounter as SpikeCounter
from ._layers import SpikingPool as SpikingPool
from ._lif import IAF as IAF
from ._lif import LI as LI
from ._lif import LIF as LIF
from ._lif import CuBaLIF as CuBaLIF
from ._losses import count_cross_entropy as count_cross_entropy
from ._losses import cross_entropy as cross_entropy
from ._losses import first_spike_cross_entropy as first_spike_cross_entropy
from ._losses import first_spike_time as first_spike_time
from ._losses import max_over_time_cross_entropy as max_over_time_cross_entropy
from ._losses import rate_cross_entropy as rate_cross_entropy
from ._neuron_base import AbstractNeuron as AbstractNeuron
from ._nir import from_nir as from_nir
from ._nir import to_nir as to_nir
from ._parallel import ParallelFallbackWarning as ParallelFallbackWarning
from ._parallel import ParallelInfo as ParallelInfo
from ._parallel import linear_scan as linear_scan
from ._parallel import run_parallel as run_parallel
from ._registry import NEURONS as NEURONS
from ._registry import neuron_from_name as neuron_from_name
from ._regularisers import firing_rate as firing_rate
from ._regularisers import rate_bounds as rate_bounds
from ._regularisers import rate_l2 as rate_l2
from ._regularisers import spike_count_l1 as spike_count_l1
from ._run import run as run
from ._run import run_batched as run_batched
from ._scale import Scale as Scale
from ._sequential import Sequential as Sequential
from ._sigma_delta import SigmaDelta as SigmaDelta
from ._surrogates import SURROGATES as SURROGATES
from ._surrogates import AbstractSurrogate as AbstractSurrogate
from ._surrogates import Arctan as Arctan
from ._surrogates import Boxcar as Boxcar
from ._surrogates import FastSigmoid as FastSigmoid
from ._surrogates import LearnableSlope as LearnableSlope
from ._surrogates import Sigmoid as Sigmoid
from ._surrogates import Triangle as Triangle
from ._surrogates import heaviside as heaviside
from ._surrogates import surrogate_from_name as surrogate_from_name
