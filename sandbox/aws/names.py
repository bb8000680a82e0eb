"""Every name of the serverless stack, derived in one place from one prefix."""

from __future__ import annotations

from dataclasses import dataclass

ACCOUNT = "000000000000"
REGION = "us-east-1"


@dataclass(frozen=True)
class Names:
    prefix: str = "sandbox"

    @property
    def function(self) -> str:
        return f"{self.prefix}-events-processor"

    @property
    def events_table(self) -> str:
        return f"{self.prefix}-events"

    @property
    def events_index(self) -> str:
        return "by-type"

    @property
    def orders_table(self) -> str:
        """The table whose stream feeds the processor (never the events table: a loop)."""
        return f"{self.prefix}-orders"

    @property
    def bucket(self) -> str:
        return f"{self.prefix}-uploads"

    @property
    def queue(self) -> str:
        return f"{self.prefix}-jobs"

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.prefix}-jobs-dlq"

    @property
    def topic(self) -> str:
        return f"{self.prefix}-notifications"

    @property
    def rules(self) -> dict[str, str]:
        """EventBridge rule name -> the event source it matches."""
        return {f"{self.prefix}-orders": "myapp.orders", f"{self.prefix}-users": "myapp.users"}

    @property
    def api(self) -> str:
        return f"{self.prefix}-events-api"

    @property
    def stage(self) -> str:
        return "dev"

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{ACCOUNT}:role/{self.prefix}-lambda-role"

    def queue_arn(self, name: str) -> str:
        return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"

    @property
    def topic_arn(self) -> str:
        return f"arn:aws:sns:{REGION}:{ACCOUNT}:{self.topic}"

    @property
    def function_arn(self) -> str:
        return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{self.function}"
