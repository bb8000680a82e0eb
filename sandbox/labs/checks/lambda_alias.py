"""lambda_alias: an alias of the Lambda function (`live` by default) runs the code in a folder
of the workspace, or does not: the CodeSha256 Lambda reports for the version the alias points
at, compared with what a deploy of that folder would report (`code_sha256_of`).

`read_alias` is also how the `pipeline` kind sees whether a run moved the alias."""

from __future__ import annotations

from dataclasses import dataclass

from botocore.exceptions import ClientError

from sandbox.aws.clients import client, error_code
from sandbox.aws.deploy import code_sha256_of
from sandbox.aws.names import LIVE_ALIAS, Names
from sandbox.errors import SandboxError
from sandbox.labs.checks.base import CheckContext, CheckKind, Outcome, Params

SHOWN = 12  # characters of a code hash in messages


class AliasParams(Params):
    function: str = Names().function
    alias: str = LIVE_ALIAS
    code: str = "lambda"  # a folder of the workspace (with handler.py)
    runs: bool = True  # False: the alias must NOT run that code (it did not move to it)


@dataclass(frozen=True)
class Alias:
    """Where an alias points and the code that version runs."""

    name: str
    version: str
    code_sha256: str

    @property
    def described(self) -> str:
        return f"version {self.version} (code {self.code_sha256[:SHOWN]})"


def read_alias(endpoint: str, function: str, alias: str = LIVE_ALIAS) -> Alias | None:
    """The alias and its version's code hash; None when the alias (or function) is missing."""
    lam = client("lambda", endpoint)
    try:
        found = lam.get_alias(FunctionName=function, Name=alias)
        version = str(found["FunctionVersion"])
        config = lam.get_function_configuration(FunctionName=function, Qualifier=version)
    except ClientError as err:
        if error_code(err) != "ResourceNotFoundException":
            raise
        return None
    return Alias(alias, version, str(config.get("CodeSha256", "")))


def evaluate(params: AliasParams, ctx: CheckContext) -> Outcome:
    folder = (ctx.workspace / params.code).resolve()
    if not folder.is_relative_to(ctx.workspace.resolve()):
        return Outcome.unknown(f"{params.code} is outside the workspace")
    try:
        wanted = code_sha256_of(folder)
    except SandboxError as err:
        return Outcome.failed(err.render())
    found = read_alias(ctx.endpoints["aws"], params.function, params.alias)
    code = f"the code in {params.code}/ (CodeSha256 {wanted[:SHOWN]})"
    if found is None:
        missing = f"{params.function} has no alias {params.alias}"
        if params.runs:
            return Outcome.failed(
                f"{missing}: release {params.code}/ with `sandbox deploy --publish`"
            )
        return Outcome.passed(f"{missing}, so it does not run {code}")
    runs = found.code_sha256 == wanted
    where = f"{params.alias} is on {found.described}"
    if runs == params.runs:
        return Outcome.passed(f"{where}, which {'runs' if runs else 'is not'} {code}")
    if runs:
        return Outcome.failed(f"{where}, which runs {code}, and should not")
    return Outcome.failed(
        f"{where}, which is not {code}: release it with `sandbox deploy --publish`"
    )


EXAMPLE = {"alias": "live", "code": "lambda"}
KIND = CheckKind(
    "lambda_alias",
    AliasParams,
    evaluate,
    needs=("aws",),
    example=EXAMPLE,
    summary="An alias of the function (`live`) runs the code in a workspace folder, or does not "
    "(CodeSha256 compared).",
)
