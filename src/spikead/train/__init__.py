"""Training of spiking classifiers (Paper A's SHD/SSC setup) by BPTT or e-prop.

`build_model(ModelConfig(...), n_inputs, n_classes, key=...)` makes the classifier (spiking
hidden layer(s) + readout at every step); `fit(model, splits, train=..., optimizer=...,
algorithm=..., out_dir=...)` trains it with AdamW + warmup-cosine + clipping, data-parallel
over all local devices, writing `history.csv` and an atomic `checkpoint.eqx` every epoch
and resuming from it.
"""

from ._checkpoint import CHECKPOINT_NAME as CHECKPOINT_NAME
from ._checkpoint import Checkpoint as Checkpoint
from ._checkpoint import load_checkpoint as load_checkpoint
from ._checkpoint import save_checkpoint as save_checkpoint
from ._config import ALGORITHMS as ALGORITHMS
from ._config import HIDDEN_NEURONS as HIDDEN_NEURONS
from ._config import AlgorithmConfig as AlgorithmConfig
from ._config import ModelConfig as ModelConfig
from ._config import OptimizerConfig as OptimizerConfig
from ._config import TrainConfig as TrainConfig
from ._config import from_mapping as from_mapping
from ._errors import CheckpointError as CheckpointError
from ._errors import TrainConfigError as TrainConfigError
from ._errors import TrainError as TrainError
from ._errors import TrainingDivergedError as TrainingDivergedError
from ._grads import BatchResult as BatchResult
from ._grads import check_algorithm as check_algorithm
from ._grads import forward_metrics as forward_metrics
from ._grads import make_value_and_grad as make_value_and_grad
from ._loop import HISTORY_COLUMNS as HISTORY_COLUMNS
from ._loop import HISTORY_NAME as HISTORY_NAME
from ._loop import TrainResult as TrainResult
from ._loop import fit as fit
from ._loop import summarize as summarize
from ._loss import make_targets as make_targets
from ._loss import predict as predict
from ._loss import sequence_loss as sequence_loss
from ._loss import step_cross_entropy as step_cross_entropy
from ._model import SNNClassifier as SNNClassifier
from ._model import build_model as build_model
from ._model import split_model as split_model
from ._model import trainable_spec as trainable_spec
from ._optim import make_optimizer as make_optimizer
from ._optim import make_schedule as make_schedule
from ._sharding import DataParallel as DataParallel
