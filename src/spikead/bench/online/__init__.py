"""Measurements of Paper A's online gradients (`spikead.online`) and their baselines.

- :func:`measure_scaling` / :func:`rss_row`: memory (compiled) and time per training step
  of one :class:`ScalingSetting` (method, N, T, neuron; methods `SCALING_METHODS`), or the
  reason it was skipped (:func:`predicted_cost`); peak RSS in a fresh interpreter.
- :func:`peer_row` / :func:`brainscale_row`: the JAX peers `PEERS` (brainscale,
  BrainTrace), each run in its own venv as a subprocess (`_brainpy_peer.py`).
- :func:`alignment_rows`: gradients of the online methods against BPTT for one
  :class:`AlignmentSetting` (and e-prop against its reference).
- :func:`handwritten_eprop_value_and_grad` / :func:`alif_eprop_value_and_grad`: the
  hand-written exact e-prop of the single-layer LIF / ALIF network, the floor the sparse
  method is measured against.

The experiments ``memory_scaling`` and ``gradient_alignment`` call these; nothing in
`spikead.online` imports this package.
"""

from ._alignment import AlignmentSetting as AlignmentSetting
from ._alignment import alignment_rows as alignment_rows
from ._eprop_handwritten import alif_eprop_value_and_grad as alif_eprop_value_and_grad
from ._eprop_handwritten import handwritten_eprop_value_and_grad as handwritten_eprop_value_and_grad
from ._peers import PEERS as PEERS
from ._peers import brainscale_row as brainscale_row
from ._peers import peer_row as peer_row
from ._scaling import SCALING_METHODS as SCALING_METHODS
from ._scaling import SCALING_NEURONS as SCALING_NEURONS
from ._scaling import ScalingSetting as ScalingSetting
from ._scaling import extrapolate_probe_times as extrapolate_probe_times
from ._scaling import measure_scaling as measure_scaling
from ._scaling import predicted_cost as predicted_cost
from ._scaling import rss_row as rss_row
