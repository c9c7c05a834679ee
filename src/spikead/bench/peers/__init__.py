"""Framework-comparison peers, each runnable as ``python -m spikead.bench.peers.<name>``.

Nothing heavy is imported here: each peer imports its own framework in its own process.
"""

from ._protocol import LIFProblem as LIFProblem
from ._protocol import PeerResult as PeerResult
from ._protocol import PeerSettings as PeerSettings
from ._protocol import load_problem as load_problem
from ._protocol import load_spikes as load_spikes
from ._protocol import save_spikes as save_spikes
