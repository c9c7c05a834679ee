"""spikead: automatic differentiation for spiking neural networks in JAX.

Subpackages:
    spikead.ad         structured-Jacobian AD engine, cross-country vertex elimination
    spikead.tasks      the ten benchmark functions of the AlphaGrad paper
    spikead.alphagrad  search for cheap elimination orders
    spikead.snn        spiking neuron layers, networks, surrogate gradients
    spikead.online     online (forward-in-time) gradients, e-prop
    spikead.data       SHD/SSC through tonic and a synthetic stand-in
    spikead.train      training loop, checkpoints, metrics
    spikead.bench      timing and memory measurement
"""

__version__ = "0.1.0"
