"""The event timeline: newest event first, each one an EventCard updated as it completes."""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widgets import Static

from sandbox.tui.timeline import EventRecord
from sandbox.tui.widgets.event_card import EventCard

KEEP = 30
EMPTY = "No events yet: fire one with s q n e y a (or f for the form)."


class Timeline(VerticalScroll):
    def __init__(self) -> None:
        super().__init__(id="timeline")
        self.cards: dict[int, EventCard] = {}

    def on_mount(self) -> None:
        self.mount(Static(EMPTY, id="timeline-empty"))

    def put(self, record: EventRecord) -> None:
        card = self.cards.get(record.number)
        if card is not None:
            card.show(record)
            return
        self.query("#timeline-empty").remove()
        newest = self.cards[max(self.cards)] if self.cards else None
        card = self.cards[record.number] = EventCard(record)
        if newest is None:
            self.mount(card)
        else:
            self.mount(card, before=newest)
        self._trim()
        self.scroll_home(animate=False)

    def _trim(self) -> None:
        for number in sorted(self.cards)[:-KEEP]:
            self.cards.pop(number).remove()

    def clear(self) -> None:
        for card in self.cards.values():
            card.remove()
        self.cards.clear()
        self.mount(Static(EMPTY, id="timeline-empty"))
