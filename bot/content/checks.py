"""Cross-checks over the whole content, after each file passed its schema.

Finds what a schema cannot: resources and simulators referenced but not defined,
variables used but never set or set to undeclared values, interface texts missing,
missing departments, and contacts written in a text but absent from the knowledge
files. The graph rules (destinations, reachability, ends, loops) are in
:mod:`bot.content.graph`.
"""

from __future__ import annotations

import re
from typing import Any

from .contacts import bare_url, unknown_contacts
from .graph import check_graph
from .keys import COMMANDS, LABELS, MESSAGES
from .located import Located, Reporter
from .models import Flow, Interface, Node, Resource, Simulator, Understanding
from .problems import Code, Problem, did_you_mean
from .yaml_loader import Document

ALL_DEPARTMENTS = (
    *(f"{n:02d}" for n in range(1, 96) if n != 20),
    "2A",
    "2B",
    "971",
    "972",
    "973",
    "974",
    "976",
)
"""The 101 French departments (20 became 2A/2B; 975 is not a department)."""

TELEGRAM_MAX_TEXT = 4096
PLACEHOLDER_RE = re.compile(r"\{([a-z0-9_]+)\}")


class _Checker(Reporter):
    def __init__(
        self,
        flows: dict[str, Flow],
        resources: dict[str, Resource],
        departments: dict[str, Any],
        simulators: dict[str, Simulator],
        interface: Interface,
        understanding: Understanding,
        where: Located,
    ) -> None:
        super().__init__(where)
        self.flows = flows
        self.resources = resources
        self.departments = departments
        self.simulators = simulators
        self.ui = interface
        self.understanding = understanding

    def run(self) -> list[Problem]:
        check_graph(self.flows, self)
        self.check_nodes()
        self.check_variables()
        self.check_interface()
        self.check_understanding()
        self.check_departments()
        return self.problems

    def check_nodes(self) -> None:
        for flow in self.flows.values():
            for node_id, node in flow.nodes.items():
                base = ("etapes", node_id)
                self._check_node_refs(flow, node_id, node)
                waits = bool(node.choices) or node.input is not None or node.end
                if waits and not (
                    node.messages or node.resources or node.simulation or node.local_contacts
                ):
                    self.flow_problem(
                        flow.name,
                        base,
                        Code.MISSING_TEXT,
                        f"l'étape « {node_id} » attend une réponse mais n'affiche "
                        "rien : ajoutez un « message »",
                    )
                for i, text in enumerate(node.messages):
                    loc = (*base, "message", i) if len(node.messages) > 1 else (*base, "message")
                    self._check_text(flow.name, loc, text)
                if node.variable is not None:
                    for i, choice in enumerate(node.choices):
                        if node.variable not in choice.sets:
                            self.flow_problem(
                                flow.name,
                                (*base, "choix", i),
                                Code.VARIABLE_CHOICE,
                                f"l'étape demande « {node.variable} » : le choix "
                                f"« {choice.label} » doit la définir "
                                f"(definir: {{{node.variable}: …}})",
                            )

    def _check_node_refs(self, flow: Flow, node_id: str, node: Node) -> None:
        base = ("etapes", node_id)
        urls = {bare_url(r.url) for r in self.resources.values() if r.url}
        for i, link in enumerate(node.links):
            if bare_url(link.url) not in urls:
                self.flow_problem(
                    flow.name,
                    (*base, "liens", i, "url"),
                    Code.UNKNOWN_CONTACT,
                    f"l'adresse « {link.url} » n'est dans aucune ressource de knowledge/ : "
                    "ajoutez-la d'abord à une ressource, avec sa source",
                    about=f"contact:{link.url}",
                )
        for i, key in enumerate(node.resources):
            if key not in self.resources:
                self.flow_problem(
                    flow.name,
                    (*base, "ressources", i),
                    Code.UNKNOWN_RESOURCE,
                    f"la ressource « {key} » n'existe pas dans knowledge/"
                    f"{did_you_mean(key, self.resources)}",
                    about=f"ressource:{key}",
                )
        if node.simulation is not None and node.simulation not in self.simulators:
            self.flow_problem(
                flow.name,
                (*base, "simulation"),
                Code.UNKNOWN_SIMULATOR,
                f"le simulateur « {node.simulation} » n'existe pas dans knowledge/"
                f"{did_you_mean(node.simulation, self.simulators)}",
                about=f"simulateur:{node.simulation}",
            )

    def _check_text(self, flow: str, loc: tuple[str | int, ...], text: str) -> None:
        if len(text) > TELEGRAM_MAX_TEXT:
            self.flow_problem(
                flow,
                loc,
                Code.MESSAGE_TOO_LONG,
                f"ce message fait {len(text)} caractères ; Telegram en accepte "
                f"{TELEGRAM_MAX_TEXT} : coupez-le en plusieurs messages",
            )
        for contact, message in unknown_contacts(text, self.resources.values()):
            self.flow_problem(flow, loc, Code.UNKNOWN_CONTACT, message, about=f"contact:{contact}")

    def _set_variables(self) -> dict[str, set[str]]:
        """Every variable some content sets, with the values it may take."""
        found: dict[str, set[str]] = {}
        for flow in self.flows.values():
            for node in flow.nodes.values():
                for name, value in node.sets.items():
                    found.setdefault(name, set()).add(value)
                for choice in node.choices:
                    for name, value in choice.sets.items():
                        found.setdefault(name, set()).add(value)
                if node.input is not None:
                    found.setdefault(node.input.variable, set())
        return found

    def check_variables(self) -> None:
        set_vars = self._set_variables()
        declared = self.ui.variables
        for name, values in set_vars.items():
            decl = declared.get(name)
            if decl is not None and decl.values:
                for value in sorted(values - set(decl.values)):
                    self._report_value(name, value)
        for flow in self.flows.values():
            for node_id, node in flow.nodes.items():
                base = ("etapes", node_id)
                used: list[tuple[str, tuple[str | int, ...]]] = []
                for i, br in enumerate(node.branches):
                    for var, wanted in br.when.items():
                        used.append((var, (*base, "selon", i, "si", var)))
                        decl = declared.get(var)
                        allowed = set(decl.values) if decl is not None and decl.values else None
                        for value in wanted:
                            if allowed is not None and value != "inconnu" and value not in allowed:
                                self.flow_problem(
                                    flow.name,
                                    (*base, "selon", i, "si", var),
                                    Code.UNKNOWN_VALUE,
                                    f"« {value} » n'est pas une valeur de "
                                    f"« {var} »{did_you_mean(value, allowed)}",
                                )
                if node.variable is not None:
                    used.append((node.variable, (*base, "variable")))
                for text in [*node.messages, *(c.label for c in node.choices)]:
                    used.extend((v, (*base,)) for v in PLACEHOLDER_RE.findall(text))
                if node.simulation in self.simulators:
                    sim = self.simulators[node.simulation]
                    used.append((sim.selector, (*base, "simulation")))
                for var, loc in used:
                    if var not in set_vars:
                        self.flow_problem(
                            flow.name,
                            loc,
                            Code.UNSET_VARIABLE,
                            f"la variable « {var} » est utilisée mais aucune étape "
                            "ne la définit"
                            f"{did_you_mean(var, set_vars)}",
                            about=f"variable:{var}",
                        )

    def _report_value(self, name: str, value: str) -> None:
        for flow in self.flows.values():
            for node_id, node in flow.nodes.items():
                for i, choice in enumerate(node.choices):
                    if choice.sets.get(name) == value:
                        self.flow_problem(
                            flow.name,
                            ("etapes", node_id, "choix", i, "definir"),
                            Code.UNKNOWN_VALUE,
                            f"« {value} » n'est pas une valeur déclarée de « {name} » "
                            "dans interface.yaml"
                            f"{did_you_mean(value, self.ui.variables[name].values)}",
                        )
                if node.sets.get(name) == value:
                    self.flow_problem(
                        flow.name,
                        ("etapes", node_id, "definir"),
                        Code.UNKNOWN_VALUE,
                        f"« {value} » n'est pas une valeur déclarée de « {name} »",
                    )

    def check_interface(self) -> None:
        doc = self.where.interface
        ui = self.ui
        for key, flow in (
            ("flux_accueil", ui.welcome_flow),
            ("flux_menu", ui.menu_flow),
            ("flux_urgence", ui.emergency_flow),
            ("flux_aide", ui.help_flow),
            ("flux_confidentialite", ui.privacy_flow),
            ("flux_oubli", ui.forget_flow),
            ("flux_effacer", ui.erase_flow),
        ):
            if flow not in self.flows:
                self.doc_problem(
                    doc,
                    ("interface", key),
                    Code.UNKNOWN_FLOW,
                    f"« {key} » désigne le flux « {flow} », qui n'existe pas"
                    f"{did_you_mean(flow, self.flows)}",
                    about=f"flux:{flow}",
                )
        for key in (ui.default_council,):
            if key not in self.resources:
                self.doc_problem(
                    doc,
                    ("interface", "conseil_par_defaut"),
                    Code.UNKNOWN_RESOURCE,
                    f"la ressource « {key} » n'existe pas{did_you_mean(key, self.resources)}",
                    about=f"ressource:{key}",
                )
        for key, allowed in MESSAGES.items():
            if key not in ui.messages:
                self.doc_problem(
                    doc,
                    ("interface", "messages"),
                    Code.MISSING_TEXT,
                    f"le message « {key} » manque dans « messages »",
                )
                continue
            for name in PLACEHOLDER_RE.findall(ui.messages[key]):
                if name not in allowed:
                    self.doc_problem(
                        doc,
                        ("interface", "messages", key),
                        Code.UNKNOWN_PLACEHOLDER,
                        f"« {{{name}}} » n'est pas disponible dans ce message"
                        + (f" (possibles : {', '.join(allowed)})" if allowed else ""),
                    )
            self._check_text_in(doc, ("interface", "messages", key), ui.messages[key])
        for key in LABELS:
            if key not in ui.labels:
                self.doc_problem(
                    doc,
                    ("interface", "libelles"),
                    Code.MISSING_TEXT,
                    f"le libellé « {key} » manque dans « libelles »",
                )
        for key in COMMANDS:
            if key not in ui.commands:
                self.doc_problem(
                    doc,
                    ("interface", "commandes"),
                    Code.MISSING_TEXT,
                    f"la commande « {key} » manque dans « commandes »",
                )
        if ui.audience_variable not in ui.variables:
            self.doc_problem(
                doc,
                ("interface", "variable_public"),
                Code.UNSET_VARIABLE,
                f"la variable « {ui.audience_variable} » doit être déclarée dans « variables »",
            )

    def _check_text_in(self, doc: Document | None, loc: tuple[str | int, ...], text: str) -> None:
        for contact, message in unknown_contacts(text, self.resources.values()):
            self.doc_problem(doc, loc, Code.UNKNOWN_CONTACT, message, about=f"contact:{contact}")

    def check_understanding(self) -> None:
        doc = self.where.understanding
        for key in self.understanding.routes:
            if key not in self.flows:
                self.doc_problem(
                    doc,
                    ("orientation", key),
                    Code.UNKNOWN_FLOW,
                    f"« {key} » n'est pas un flux{did_you_mean(key, self.flows)}",
                    about=f"flux:{key}",
                )
        if not (self.understanding.crisis.keywords or self.understanding.crisis.examples):
            self.doc_problem(
                doc,
                ("crise",),
                Code.MISSING_TEXT,
                "la détection de crise n'a aucune expression : c'est indispensable",
            )

    def check_departments(self) -> None:
        for code in ALL_DEPARTMENTS:
            if code not in self.departments:
                self.problem(
                    "knowledge/departements",
                    None,
                    Code.MISSING_DEPARTMENT,
                    f"le département {code} manque : ajoutez-le au fichier de sa région",
                    about=f"departement:{code}",
                )
        for code, dep in self.departments.items():
            doc, loc = self.where.departments[code]
            for key, ref in (("conseil", dep.council), ("cpam", dep.cpam)):
                if ref is not None and ref not in self.resources:
                    self.doc_problem(
                        doc,
                        (*loc, key),
                        Code.UNKNOWN_RESOURCE,
                        f"la ressource « {ref} » n'existe pas{did_you_mean(ref, self.resources)}",
                        about=f"ressource:{ref}",
                    )

def check_all(
    flows: dict[str, Flow],
    resources: dict[str, Resource],
    departments: dict[str, Any],
    simulators: dict[str, Simulator],
    interface: Interface,
    understanding: Understanding,
    where: Located,
) -> list[Problem]:
    """Every cross-file problem in the content."""
    return _Checker(
        flows, resources, departments, simulators, interface, understanding, where
    ).run()
