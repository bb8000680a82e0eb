"""Label selectors, matched the way the API server matches them."""

from __future__ import annotations

from typing import Any

from sandbox.static.resources import as_dict, as_list


def matches(selector: dict[str, Any], labels: dict[str, Any]) -> bool:
    """A LabelSelector (matchLabels + matchExpressions) against a pod's labels."""
    wanted = as_dict(selector.get("matchLabels"))
    if any(labels.get(key) != value for key, value in wanted.items()):
        return False
    return all(_expression(as_dict(e), labels) for e in as_list(selector.get("matchExpressions")))


def _expression(expression: dict[str, Any], labels: dict[str, Any]) -> bool:
    key, values = expression.get("key"), as_list(expression.get("values"))
    operator = expression.get("operator")
    if operator == "In":
        return key in labels and labels[key] in values
    if operator == "NotIn":
        return labels.get(str(key)) not in values
    if operator == "Exists":
        return key in labels
    return operator == "DoesNotExist" and key not in labels


def map_matches(selector: dict[str, Any], labels: dict[str, Any]) -> bool:
    """A plain map selector (a Service's spec.selector)."""
    return all(labels.get(key) == value for key, value in selector.items())


def is_empty(selector: Any) -> bool:
    selector = as_dict(selector)
    return not selector.get("matchLabels") and not selector.get("matchExpressions")
