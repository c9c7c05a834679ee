"""The two counting conventions on hand-checked products (spikead.ad._structure)."""

import pytest

from spikead.ad._structure import (
    Structure,
    check_convention,
    dense_structure,
    identity_structure,
    paper_product_cost,
    product_plan,
)


def _costs(a, b):
    plan = product_plan(a, b)
    return plan.cost_in("structured"), plan.cost_in("paper")


def test_scalar_products_cost_one_under_paper():
    unit = identity_structure(())  # add, copy: the constant partial 1
    value = Structure((), (), (), ())  # sin, mul: one stored value
    assert _costs(unit, unit) == (0, 1)
    assert _costs(unit, value) == (0, 1)
    assert _costs(value, value) == (1, 1)


@pytest.mark.parametrize("n,m", [(1, 1), (3, 2), (4, 5)])
def test_identity_times_dense(n, m):
    eye, dense = identity_structure((n,)), dense_structure((n,), (m,))
    assert _costs(eye, dense) == (0, n * m)
    assert _costs(dense_structure((m,), (n,)), eye) == (0, m * n)
    assert _costs(eye, identity_structure((n,))) == (0, 1)  # Kronecker structure exploited


@pytest.mark.parametrize("n", [2, 5])
def test_diagonal_products(n):
    diag = Structure((n,), (n,), (0,), (0,))
    eye = identity_structure((n,))
    assert _costs(diag, diag) == (n, n)
    assert _costs(eye, diag) == (0, n)
    scaled = Structure((n,), (n,), (0,), ())  # c * I
    assert _costs(scaled, scaled) == (1, 1)
    assert paper_product_cost(scaled, diag) == n


def test_dense_chain_is_the_same_in_both():
    a, b = dense_structure((3,), (4,)), dense_structure((4,), (2,))
    assert _costs(a, b) == (24, 24)


def test_unknown_convention_names_the_value():
    with pytest.raises(ValueError, match="'graphax'"):
        check_convention("graphax")
    with pytest.raises(ValueError, match="'graphax'"):
        product_plan(identity_structure(()), identity_structure(())).cost_in("graphax")
