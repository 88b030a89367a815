"""RQ jobs of orders (queue ``default``): thin adapters that take ids and are safe to run twice."""

from __future__ import annotations

from audit.services import Actor
from invoicing.orders.coding import order_deferred_lines_code


def order_lines_code(order_id: int) -> dict:
    """Code the lines an order's intake deferred past the request's coding budget."""
    return order_deferred_lines_code(order_id=order_id, actor=Actor.job("order_lines_code"))
