"""Every name of the serverless stack, derived in one place from one prefix.

On an emulator the account and region are the emulator's fixed ones and every name is as it
always was (labs and tests rely on them). On a real account (`Names.for_account`) the ARNs
carry the caller's account and region, and S3 bucket names, which are global across all of
AWS, end with the account and region so that they are unique.
"""

from __future__ import annotations

from dataclasses import dataclass

# The account and region of an emulator with the sandbox's test keys (ministack, LocalStack).
ACCOUNT = "000000000000"
REGION = "us-east-1"
LIVE_ALIAS = "live"  # the alias the triggers follow after `sandbox deploy --publish`
MAX_BUCKET_NAME = 63  # S3's limit


@dataclass(frozen=True)
class Names:
    prefix: str = "sandbox"
    account: str = ACCOUNT
    region: str = REGION
    real_account: bool = False  # a real AWS account: global names are made unique

    @classmethod
    def for_account(cls, account: str, region: str, prefix: str = "sandbox") -> Names:
        """The names in a real AWS account `account`, in `region`."""
        return cls(prefix, account, region, real_account=True)

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
        """Bucket names are shared by every AWS account: on a real one, suffixed with the
        account and region (unique, and still readable: e.g. sandbox-uploads-1234...-eu-west-1)."""
        if self.real_account:
            return f"{self.prefix}-uploads-{self.account}-{self.region}"
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
    def role(self) -> str:
        return f"{self.prefix}-lambda-role"

    @property
    def role_policy(self) -> str:
        return f"{self.prefix}-processor-access"

    @property
    def role_arn(self) -> str:
        return f"arn:aws:iam::{self.account}:role/{self.role}"

    def queue_arn(self, name: str) -> str:
        return f"arn:aws:sqs:{self.region}:{self.account}:{name}"

    @property
    def topic_arn(self) -> str:
        return f"arn:aws:sns:{self.region}:{self.account}:{self.topic}"

    @property
    def function_arn(self) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account}:function:{self.function}"

    @property
    def alias_arn(self) -> str:
        """The function's `live` alias, which the triggers follow after a publish."""
        return f"{self.function_arn}:{LIVE_ALIAS}"

    @property
    def bucket_arn(self) -> str:
        return f"arn:aws:s3:::{self.bucket}"

    def table_arn(self, table: str) -> str:
        return f"arn:aws:dynamodb:{self.region}:{self.account}:table/{table}"

    def rule_arn(self, rule: str) -> str:
        return f"arn:aws:events:{self.region}:{self.account}:rule/{rule}"

    def api_arn(self, api_id: str) -> str:
        """Every method and stage of the REST API (API Gateway's invoke permission)."""
        return f"arn:aws:execute-api:{self.region}:{self.account}:{api_id}/*/*/events"

    @property
    def log_group_arn(self) -> str:
        return f"arn:aws:logs:{self.region}:{self.account}:log-group:/aws/lambda/{self.function}"
