"""Run-directory handling shared by every experiment entry point.

An entry point calls :func:`start_run` with its composed Hydra config and gets a
:class:`Run`: the output directory (always Hydra's ``runtime.output_dir``), a seeded
PRNG key, a logger, optional Weights & Biases, and atomic writers for CSV/JSON results.
Importing it registers the typed schema of every experiment's ``scale`` config group
with Hydra (:mod:`spikead.runs.schemas`).
"""

from .atomic import atomic_write_bytes as atomic_write_bytes
from .atomic import atomic_write_csv as atomic_write_csv
from .atomic import atomic_write_json as atomic_write_json
from .atomic import atomic_write_text as atomic_write_text
from .config import ConfigError as ConfigError
from .config import typed_config as typed_config
from .context import Run as Run
from .context import start_run as start_run
from .hardware import hardware_summary as hardware_summary
from .progress import progress_bar as progress_bar
from .provenance import source_commit as source_commit
from .provenance import utc_now as utc_now
from .schemas import SCALE_SCHEMAS as SCALE_SCHEMAS
from .tables import format_number as format_number
from .tables import latex_table as latex_table
from .tables import markdown_table as markdown_table
