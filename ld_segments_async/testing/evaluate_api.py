"""``POST /api/v2/projects/{p}/environments/{e}/segments/evaluate``."""

from __future__ import annotations

from .call import Call
from .context_eval import membership, parse_context
from .replies import Reply, json_reply


async def evaluate(call: Call) -> Reply:
    """Membership of one context instance in every segment of the environment."""
    environment = call.environment()
    contexts = parse_context(call.json())
    items = []
    for segment in environment.segments.values():
        individually, by_rule = membership(segment, contexts)
        doc = segment.doc
        items.append(
            {
                "name": doc["name"],
                "key": segment.key,
                "description": doc.get("description") or "",
                "unbounded": segment.unbounded,
                "external": doc.get("_external") or "",
                "isMember": individually or by_rule,
                "isIndividuallyTargeted": individually,
                "isRuleTargeted": by_rule,
                "_links": {"self": {"href": segment.href(), "type": "application/json"}},
            }
        )
    self_link = {"href": call.request.raw_path, "type": "application/json"}
    return json_reply(200, {"items": items, "_links": {"self": self_link}})
