"""Elimination-order search for cross-country Jacobian accumulation (Paper C, AlphaGrad).

    >>> from spikead import alphagrad
    >>> tg = alphagrad.load_task_graph("g")            # engine graph + baselines
    >>> res = alphagrad.run_method("anneal", tg.state, jax.random.key(0),
    ...                            search=alphagrad.SearchConfig(budget=500),
    ...                            agent=alphagrad.AgentConfig())
    >>> res.cost, tg.sym.id_order(res.order)          # multiplications, order in vertex ids

The environment (:func:`encode`, :func:`step`, :func:`legal_actions`) is jittable and
vmappable and prices orders exactly as :func:`spikead.ad.cost` does: costs are exact
counts (:mod:`~spikead.alphagrad._count`, up to ``2**64 - 1``, with ``jax_enable_x64``
on or off), read with :func:`cost_of` / :func:`order_costs`. Graphs padded to one
size (:func:`pad_groups`, :func:`pad_common`) share compiled searches, and
:func:`alphazero_joint` trains one agent on several graphs at once.
"""

from ._alphazero import AgentConfig as AgentConfig
from ._alphazero import alphazero as alphazero
from ._alphazero import optimizer_steps as optimizer_steps
from ._alphazero import train_alphazero as train_alphazero
from ._benchmark import BASELINES as BASELINES
from ._benchmark import CostMismatchError as CostMismatchError
from ._benchmark import TaskGraph as TaskGraph
from ._benchmark import dp_gap as dp_gap
from ._benchmark import load_task_graph as load_task_graph
from ._benchmark import pad_task_graphs as pad_task_graphs
from ._benchmark import search_joint as search_joint
from ._benchmark import search_task as search_task
from ._benchmark import summary as summary
from ._benchmark import table1 as table1
from ._count import CountOverflowError as CountOverflowError
from ._env import SCORES as SCORES
from ._env import EnvState as EnvState
from ._env import StepOutput as StepOutput
from ._env import action_mask as action_mask
from ._env import cost_of as cost_of
from ._env import decode as decode
from ._env import degrees as degrees
from ._env import effective_order as effective_order
from ._env import encode as encode
from ._env import fill_in as fill_in
from ._env import is_done as is_done
from ._env import legal_actions as legal_actions
from ._env import markowitz_degrees as markowitz_degrees
from ._env import narrow_products as narrow_products
from ._env import order_costs as order_costs
from ._env import order_counts as order_counts
from ._env import rollout as rollout
from ._env import safe_vertices as safe_vertices
from ._env import score as score
from ._env import step as step
from ._exact import exact_search as exact_search
from ._graph import GraphError as GraphError
from ._graph import SymGraph as SymGraph
from ._graph import from_engine as from_engine
from ._graph import random_scalar_graph as random_scalar_graph
from ._graph import random_tensor_graph as random_tensor_graph
from ._joint import PaddingError as PaddingError
from ._joint import alphazero_joint as alphazero_joint
from ._joint import pad_common as pad_common
from ._joint import pad_groups as pad_groups
from ._joint import padded_size as padded_size
from ._local import engine_annealing as engine_annealing
from ._methods import AGENTS as AGENTS
from ._methods import CLASSICAL as CLASSICAL
from ._methods import ENGINE as ENGINE
from ._methods import EXACT as EXACT
from ._methods import JOINT as JOINT
from ._methods import METHODS as METHODS
from ._methods import SearchConfig as SearchConfig
from ._methods import UnknownMethodError as UnknownMethodError
from ._methods import run_method as run_method
from ._network import PolicyValueNet as PolicyValueNet
from ._network import build_network as build_network
from ._network import observe as observe
from ._optimum import OptimumResult as OptimumResult
from ._optimum import optimum as optimum
from ._optimum import vertex_lower_bounds as vertex_lower_bounds
from ._ppo import ppo as ppo
from ._reference import OrderError as OrderError
from ._reference import order_cost as order_cost
from ._reference import step_costs as step_costs
from ._search import SearchResult as SearchResult
from ._search import TooLargeError as TooLargeError
from ._search import beam_search as beam_search
from ._search import exact_dp as exact_dp
from ._search import random_search as random_search
from ._search import safe_prefix as safe_prefix
from ._search import simulated_annealing as simulated_annealing
