"""Structured partial-derivative rules, one module per primitive family.

Importing this package registers every rule in :data:`RULES`. To support a new primitive,
write ``rule(ctx: RuleContext) -> list[(out_index, in_index, STensor)]`` and call
``register_rule("name", rule)`` (or ``register_zero("name")`` if its partials are zero).
"""

from . import binary, calls, dot, elementwise, reductions, structural  # noqa: F401  (registration)
from ._registry import (
    RULES as RULES,
)
from ._registry import (
    ZERO_PRIMITIVES as ZERO_PRIMITIVES,
)
from ._registry import (
    RuleContext as RuleContext,
)
from ._registry import (
    register_rule as register_rule,
)
from ._registry import (
    register_zero as register_zero,
)
from ._registry import (
    supported_primitives as supported_primitives,
)
