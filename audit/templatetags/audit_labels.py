"""Template filters over audit.labels, so the screens read like the PDF and the exports."""

from django import template

from audit import labels

register = template.Library()


@register.filter
def action_label(code):
    return labels.action_label(code)


@register.filter
def object_label(object_type):
    return labels.object_label(object_type)


@register.filter
def service_label(code):
    return labels.service_label(code)


@register.filter
def event_actor(event):
    return labels.actor_label(event.actor_label, event.actor_type)


@register.filter
def actor_name(label):
    """An invoice timeline's actor: a job's code (``pipeline``) in Chinese, a person as recorded."""
    return labels.actor_label(label or "")


@register.filter
def event_changes(event):
    """[(字段, 旧值, 新值)] for the event's snapshot."""
    return labels.changes(event.before, event.after, event.object_type)
