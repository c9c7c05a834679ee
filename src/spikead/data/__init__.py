"""Datasets: SHD/SSC through tonic, binned onto a fixed time grid, and a synthetic stand-in.

`load_dataset(DataConfig(name=...))` returns dense `(S, T, C)` float32 spike tensors and
`(S,)` int labels per split, cached on disk. Real data (`shd`, `ssc`) is read from
`<data_dir>/SHD|SSC/` (downloaded only with `download=True`); the Randman-style stand-in
(`synthetic_shd`, `synthetic_ssc`) is generated in the same HDF5 layout and read through
the same tonic code path. The stand-in is only used when named, and is labelled
(`LoadedDataset.synthetic`, `.name`).
"""

from ._batching import batches as batches
from ._batching import epoch_permutation as epoch_permutation
from ._batching import num_batches as num_batches
from ._binning import BinStats as BinStats
from ._binning import bin_events as bin_events
from ._cache import cache_key as cache_key
from ._config import DATASET_NAMES as DATASET_NAMES
from ._config import VAL_SPLITS as VAL_SPLITS
from ._config import DataConfig as DataConfig
from ._config import SyntheticConfig as SyntheticConfig
from ._errors import DataConfigError as DataConfigError
from ._errors import DataError as DataError
from ._errors import DatasetFormatError as DatasetFormatError
from ._errors import DatasetNotFoundError as DatasetNotFoundError
from ._hsd_files import FileSpec as FileSpec
from ._hsd_files import file_spec as file_spec
from ._hsd_files import validate_file as validate_file
from ._load import LoadedDataset as LoadedDataset
from ._load import dataset_files as dataset_files
from ._load import load_dataset as load_dataset
from ._load import open_tonic_dataset as open_tonic_dataset
from ._splits import SpeakerSplit as SpeakerSplit
from ._splits import speaker_split_indices as speaker_split_indices
from ._splits import split_indices as split_indices
from ._synthetic import draw_manifolds as draw_manifolds
from ._synthetic import sample_events as sample_events
from ._synthetic import synthetic_root as synthetic_root
from ._synthetic import write_hsd_file as write_hsd_file
from ._synthetic import write_synthetic_hsd as write_synthetic_hsd
