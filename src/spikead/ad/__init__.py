"""Structured-Jacobian AD engine: cross-country vertex elimination on jaxprs.

Main entry points: :func:`jacve` (Jacobian with any elimination order, jacrev-compatible),
:func:`cost` (multiplications of an order, from structure only), :func:`make_graph`
(inspectable graph), :func:`optimize` (search a cheap order), orders
(:func:`forward_order`, :func:`reverse_order`, :func:`markowitz_order`, :func:`safe_preelimination`, :func:`apply_order`), structured
tensors (:class:`STensor`, :func:`matmul`, :func:`add`, :func:`to_dense`, ...).
"""

from ._graph import Graph as Graph
from ._graph import Vertex as Vertex
from ._mulcount import ELIMINATION_SCOPE as ELIMINATION_SCOPE
from ._mulcount import MulCount as MulCount
from ._mulcount import count_multiplications as count_multiplications
from ._stensor import (
    STensor as STensor,
)
from ._stensor import (
    add as add,
)
from ._stensor import (
    batch_diagonal as batch_diagonal,
)
from ._stensor import (
    broaden as broaden,
)
from ._stensor import (
    dense as dense,
)
from ._stensor import (
    diagonal as diagonal,
)
from ._stensor import (
    identity as identity,
)
from ._stensor import (
    matmul as matmul,
)
from ._stensor import (
    scale as scale,
)
from ._stensor import (
    scaled_identity as scaled_identity,
)
from ._stensor import (
    to_dense as to_dense,
)
from ._stensor import (
    zeros as zeros,
)
from ._structure import CONVENTIONS as CONVENTIONS
from ._structure import IndexMap as IndexMap
from ._structure import (
    ProductPlan as ProductPlan,
)
from ._structure import (
    Structure as Structure,
)
from ._structure import as_index_map as as_index_map
from ._structure import (
    broadens_to as broadens_to,
)
from ._structure import check_convention as check_convention
from ._structure import compose_maps as compose_maps
from ._structure import (
    dense_structure as dense_structure,
)
from ._structure import (
    identity_structure as identity_structure,
)
from ._structure import paper_product_cost as paper_product_cost
from ._structure import (
    product_plan as product_plan,
)
from ._structure import (
    sum_structure as sum_structure,
)
from ._structure import (
    zero_structure as zero_structure,
)
from .api import (
    cost as cost,
)
from .api import (
    executed_cost as executed_cost,
)
from .api import (
    executed_costs as executed_costs,
)
from .api import executed_count as executed_count
from .api import (
    jacve as jacve,
)
from .api import (
    make_graph as make_graph,
)
from .api import (
    structured_jacobian as structured_jacobian,
)
from .api import (
    vmap_jacve as vmap_jacve,
)
from .elimination import apply_order as apply_order
from .elimination import eliminate_vertex as eliminate_vertex
from .elimination import validate_order as validate_order
from .errors import (
    InvalidOrderError as InvalidOrderError,
)
from .errors import (
    OrderMismatchError as OrderMismatchError,
)
from .errors import (
    UnsupportedCustomRuleError as UnsupportedCustomRuleError,
)
from .errors import (
    UnsupportedPrimitiveError as UnsupportedPrimitiveError,
)
from .optimize import OptimizeResult as OptimizeResult
from .optimize import optimize as optimize
from .order_io import load_order as load_order
from .order_io import save_order as save_order
from .order_transfer import OrderTransferError as OrderTransferError
from .order_transfer import transfer_order as transfer_order
from .order_transfer import vertex_correspondence as vertex_correspondence
from .orders import (
    forward_order as forward_order,
)
from .orders import (
    markowitz_degree as markowitz_degree,
)
from .orders import (
    markowitz_order as markowitz_order,
)
from .orders import (
    resolve_order as resolve_order,
)
from .orders import (
    reverse_order as reverse_order,
)
from .orders import (
    safe_preelimination as safe_preelimination,
)
from .orders import (
    scalar_degrees as scalar_degrees,
)
from .rules import register_rule as register_rule
from .rules import register_zero as register_zero
from .rules import supported_primitives as supported_primitives
