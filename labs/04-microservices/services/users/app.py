"""Lab 04's users service: a small directory of users, the same every time it starts.

    GET /users/<id>   200 {"id", "name", "email", "tier"} for ids 1..100, else 404
    GET /health       200 {"status": "ok"}

It is the lab's own service (learners do not edit it). The grader makes it slow, flaky or
unreachable through the faults proxy in front of it, never by changing this code.
"""

from __future__ import annotations

from flask import Flask, jsonify
from flask.typing import ResponseReturnValue

FIRST = ("Ada", "Grace", "Alan", "Barbara", "Edsger", "Frances", "Donald", "Margaret", "Ken",
         "Radia")  # fmt: skip
LAST = ("Lovelace", "Hopper", "Turing", "Liskov", "Dijkstra", "Allen", "Knuth", "Hamilton",
        "Thompson", "Perlman")  # fmt: skip
TIERS = ("standard", "gold", "platinum")
COUNT = 100


def user(user_id: int) -> dict[str, object] | None:
    """User `user_id` (1..COUNT), derived from the id alone: no database, no randomness."""
    if not 1 <= user_id <= COUNT:
        return None
    first, last = FIRST[(user_id - 1) % len(FIRST)], LAST[(user_id - 1) // len(FIRST) % len(LAST)]
    return {
        "id": user_id,
        "name": f"{first} {last}",
        "email": f"{first.lower()}.{last.lower()}@example.com",
        "tier": TIERS[user_id % len(TIERS)],
    }


def create_app() -> Flask:
    app = Flask(__name__)

    @app.get("/health")
    def health() -> ResponseReturnValue:
        return {"status": "ok"}

    @app.get("/users/<int:user_id>")
    def get_user(user_id: int) -> ResponseReturnValue:
        found = user(user_id)
        if found is None:
            return jsonify(error="not_found", detail=f"no user {user_id}"), 404
        return found

    return app


app = create_app()
