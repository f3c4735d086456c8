"""Resource cards and simulator tables, built from knowledge data."""

from __future__ import annotations

from bot.content.bundle import Bundle
from bot.content.models import Resource, Simulator

from .replies import Button, Card, CardLine, Message, Table


def card(bundle: Bundle, resource: Resource) -> Message:
    """A resource as a card: name, what it is for, how to reach it."""
    labels = bundle.interface.labels
    lines: list[CardLine] = []
    for kind, label_key, value in (
        ("phone", "telephone", resource.phone),
        ("sms", "sms", resource.sms),
        ("email", "email", resource.email),
        ("text", "adresse", resource.address),
        ("text", "horaires", resource.hours),
    ):
        if value:
            lines.append(CardLine(labels[label_key], value, kind))
    link = None
    if resource.url:
        lines.append(CardLine(labels["site"], resource.url, "url"))
        link = Button(label=resource.name, url=resource.url)
    return Message(
        card=Card(
            title=resource.name,
            purpose=resource.purpose,
            lines=tuple(lines),
            note=resource.note,
            link=link,
        )
    )


def euros(amount: int) -> str:
    """French money format: ``30 000 €`` with no-break spaces."""
    return f"{amount:,}".replace(",", "\u00a0") + "\u00a0€"


def simulation(bundle: Bundle, sim: Simulator, variables: dict[str, str]) -> Message | None:
    """The payment schedule for the answers given, or None if the contract is unknown."""
    scale = sim.scales.get(variables.get(sim.selector, ""))
    if scale is None:
        return None
    rows = [(i.when, euros(i.amount)) for i in scale.instalments]
    total = sum(i.amount for i in scale.instalments)
    for bonus in scale.bonuses:
        if variables.get(bonus.variable) == bonus.value:
            rows.append((bonus.label, euros(bonus.amount)))
            total += bonus.amount
    if sim.monthly is not None:
        months = int(variables.get(sim.monthly.variable, "0") or 0)
        if months > 0:
            amount = months * sim.monthly.amount_per_month
            rows.append(
                (
                    f"{sim.monthly.label} ({months} × {euros(sim.monthly.amount_per_month)})",
                    euros(amount),
                )
            )
            total += amount
    return Message(
        table=Table(
            title=f"{sim.title} — {scale.name}",
            rows=tuple(rows),
            total=(sim.total_label, euros(total)),
            note=sim.note,
        )
    )
