"""Every action of the TUI in one table: its screen, key, words, and the CLI command that does
the same. The footer bindings, the help screen and the command palette are all built from it."""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType


@dataclass(frozen=True)
class ScreenInfo:
    mode: str
    key: str
    title: str


SCREENS = (
    ScreenInfo("stack", "1", "Stack"),
    ScreenInfo("serverless", "2", "Serverless"),
    ScreenInfo("data", "3", "Data"),
    ScreenInfo("metrics", "4", "Metrics"),
    ScreenInfo("labs", "5", "Labs"),
)


@dataclass(frozen=True)
class Action:
    mode: str  # the screen it belongs to; "" for the whole app
    key: str
    action: str
    label: str  # short, for the footer
    description: str  # for the help screen and the command palette
    cli: str = ""  # the CLI command doing the same
    footer: bool = True
    bind: bool = True  # False: Textual binds it already (the palette)


_APP = [
    Action("", s.key, f"switch_mode('{s.mode}')", s.title, f"Go to the {s.title} screen",
           footer=False) for s in SCREENS
] + [
    Action("", "question_mark", "help", "Help", "Show every key binding"),
    Action("", "ctrl+p", "command_palette", "Palette", "Open the command palette", footer=False,
           bind=False),
    Action("", "ctrl+q", "quit", "Quit", "Quit (the stack keeps running)", footer=False),
]  # fmt: skip

_STACK = [
    Action("stack", "u", "start_all", "Up", "Start every service", "sandbox up"),
    Action("stack", "x", "stop_all", "Down", "Stop every service (data is kept)", "sandbox down"),
    Action("stack", "R", "restart_all", "Restart all", "Restart every service (stop, start)",
           "sandbox down && sandbox up", footer=False),
    Action("stack", "r", "restart_service", "Restart", "Restart the selected service"),
    Action("stack", "p", "stop_service", "Stop svc", "Stop the selected service"),
    Action("stack", "t", "start_service", "Start svc", "Start the selected service"),
    Action("stack", "c", "clear_faults", "Clear faults",
           "Remove every fault in force (toxics and AWS chaos rules)",
           "sandbox fault reset && sandbox chaos clear"),
    Action("stack", "b", "switch_backend", "Backend", "Switch backend (embedded/compose)",
           "sandbox --backend compose|embedded ..."),
    Action("stack", "slash", "filter", "Filter", "Filter the log pane",
           "sandbox logs SERVICE | grep TEXT"),
]  # fmt: skip

_SERVERLESS = [
    Action("serverless", "d", "deploy", "Deploy", "Deploy the Lambda and wire every source",
           "sandbox deploy"),
    Action("serverless", "w", "watch", "Watch", "Redeploy on every change (on/off)",
           "sandbox deploy --watch"),
    Action("serverless", "s", "fire('s3')", "S3", "Fire an S3 event", "sandbox fire s3"),
    Action("serverless", "q", "fire('sqs')", "SQS", "Fire an SQS event", "sandbox fire sqs"),
    Action("serverless", "n", "fire('sns')", "SNS", "Fire an SNS event", "sandbox fire sns"),
    Action("serverless", "e", "fire('eventbridge')", "EvBridge", "Fire an EventBridge event",
           "sandbox fire eventbridge"),
    Action("serverless", "y", "fire('dynamodb')", "DynamoDB", "Fire a DynamoDB stream event",
           "sandbox fire dynamodb"),
    Action("serverless", "a", "fire('api')", "API", "Fire an API Gateway request",
           "sandbox fire api"),
    Action("serverless", "f", "form", "Form", "Edit a payload, then fire or invoke it",
           "sandbox fire SOURCE --data JSON / sandbox invoke --event FILE"),
    Action("serverless", "t", "next_section", "Timeline/Resources",
           "Switch between the event timeline and the deployed resources", footer=False),
    Action("serverless", "c", "clear", "Clear", "Clear the event timeline", footer=False),
]  # fmt: skip

_DATA = [
    Action("data", "r", "refresh", "Refresh", "Reload tables, buckets and queues",
           "sandbox ddb scan / s3 ls / sqs depth"),
    Action("data", "t", "next_section", "DynamoDB/S3/SQS/Snapshots",
           "Switch between DynamoDB, S3, SQS and the saved snapshots", "sandbox snapshot list"),
    Action("data", "slash", "filter", "Filter", "Filter the items or objects shown"),
]  # fmt: skip

_METRICS = [
    Action("metrics", "r", "refresh", "Refresh", "Scrape the app's /metrics now",
           "curl APP_URL/metrics"),
]  # fmt: skip

_LABS = [
    Action("labs", "c", "check_all", "Check", "Run every check of the lab",
           "sandbox lab check LAB"),
    Action("labs", "w", "toggle_watch", "Watch", "Check again whenever a workspace file changes",
           "sandbox lab check LAB --watch"),
    Action("labs", "s", "check_step", "Check step", "Run the checks of the selected step",
           "sandbox lab check LAB STEP"),
    Action("labs", "h", "hint", "Hint", "Reveal the next hint for the selected check",
           "sandbox lab hint LAB CHECK"),
    Action("labs", "o", "start_lab", "Start lab", "Copy the starter and run your code",
           "sandbox lab start LAB"),
    Action("labs", "l", "leave_lab", "Leave lab",
           "Run the project's own code again (your work is kept)", "sandbox lab stop"),
    Action("labs", "u", "undo_step", "Undo step",
           "Put the data back as it was when you started your current step (files untouched)",
           "sandbox lab undo LAB"),
    Action("labs", "x", "reset_lab", "Reset lab", "Delete your workspace and progress",
           "sandbox lab reset LAB"),
]  # fmt: skip

ACTIONS: tuple[Action, ...] = (*_APP, *_STACK, *_SERVERLESS, *_DATA, *_METRICS, *_LABS)


def actions(mode: str) -> list[Action]:
    return [a for a in ACTIONS if a.mode == mode]


def bindings(mode: str) -> list[BindingType]:
    return [Binding(a.key, a.action, a.label, show=a.footer) for a in actions(mode) if a.bind]


def title_of(mode: str) -> str:
    return next((s.title for s in SCREENS if s.mode == mode), "Everywhere")


def key_label(key: str) -> str:
    return {"question_mark": "?", "slash": "/"}.get(key, key)
