"""The ten benchmark functions of the AlphaGrad paper (Lohoff & Neftci 2024) as JAX
functions, with example inputs and the paper's reference numbers.

    >>> from spikead import tasks
    >>> t = tasks.load("RoeFlux_1d")
    >>> outputs = t.fn(*t.args)
    >>> tasks.count_equations(t)  # jaxpr equations, nested jit inlined
"""

from ._builtin import PAPER_NAMES as PAPER_NAMES
from ._count import count_equations as count_equations
from ._count import iter_equations as iter_equations
from ._count import primitive_counts as primitive_counts
from ._count import primitive_names as primitive_names
from ._count import task_jaxpr as task_jaxpr
from ._paper import PAPER as PAPER
from ._program_generator import GeneratedProgram as GeneratedProgram
from ._program_generator import generate_program as generate_program
from ._registry import DuplicateTaskError as DuplicateTaskError
from ._registry import Task as Task
from ._registry import UnknownTaskError as UnknownTaskError
from ._registry import load as load
from ._registry import names as names
from ._registry import register as register

__all__ = [
    "PAPER",
    "PAPER_NAMES",
    "DuplicateTaskError",
    "GeneratedProgram",
    "Task",
    "UnknownTaskError",
    "count_equations",
    "generate_program",
    "iter_equations",
    "load",
    "names",
    "primitive_counts",
    "primitive_names",
    "register",
    "task_jaxpr",
]
