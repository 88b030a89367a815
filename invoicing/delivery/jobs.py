"""RQ jobs of delivery (queue ``delivery``): thin adapters that take ids and are safe to run twice."""

from __future__ import annotations

from invoicing.delivery import services


def delivery_auto(invoice_id: int) -> int:
    """Render the files of a newly issued invoice and plan its default deliveries (once)."""
    return len(services.invoice_deliver_auto(invoice_id=invoice_id))


def delivery_send(request_id: str, invoice_id: int, channel: str, target: str, trigger: str = "auto",
                  actor_label: str = "") -> str:
    """One send; raises on failure so that rq retries it (each try is recorded)."""
    return services.delivery_send_run(request_id=request_id, invoice_id=invoice_id, channel=channel, target=target,
                                      trigger=trigger, actor_label=actor_label)


def delivery_sweep() -> int:
    """Periodic: plan automatic deliveries whose job was lost (Redis down at issue time)."""
    return services.delivery_sweep()
