"""Schemas of the YAML files, in French for the staff who write them.

Keys are French (``message``, ``choix``, ``vers``…) through pydantic aliases;
attributes are English for the code. ``extra="forbid"`` everywhere: a misspelt
key is an error with its line, never a silently ignored setting.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

IDENT_PATTERN = r"^[a-z0-9_]+$"
Ident = Annotated[str, StringConstraints(pattern=IDENT_PATTERN, min_length=1, max_length=40)]
Text = Annotated[str, StringConstraints(min_length=1)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=60)]

_TRUE = {"oui", "vrai", "true", "yes", "1"}
_FALSE = {"non", "faux", "false", "no", "0"}


def _french_bool(value: Any) -> Any:
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
    return value


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


FrenchBool = Annotated[bool, BeforeValidator(_french_bool)]
Messages = Annotated[list[Text], BeforeValidator(_one_or_many)]
Values = Annotated[list[str], BeforeValidator(_one_or_many)]

PHONE_RE = re.compile(
    r"^(?:\d{2}(?: \d{2}){4}|0\d{3} \d{3} \d{3}|0\d{3}(?: \d{2}){3}|\d{3} \d{3}|\d{2,4})$"
)
"""French ways of writing a number: ``01 46 22 32 97``, ``0800 288 038``, ``0805 23 23 36``,
``116 006``, ``3114``, ``15``. Written so, Telegram makes them tappable."""
URL_RE = re.compile(r"^https?://[A-Za-z0-9.-]+\.[A-Za-z]{2,}(?:[/?#][^\s]*)?$")
EMAIL_RE = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
DEPARTMENT_CODE_RE = re.compile(r"^(?:0[1-9]|[1-8]\d|9[0-5]|2A|2B|97[12346])$")


class Strict(BaseModel):
    model_config = ConfigDict(
        extra="forbid", populate_by_name=False, frozen=True, str_strip_whitespace=True
    )


# --- flows -----------------------------------------------------------------


class Link(Strict):
    label: Label = Field(alias="texte", description="Texte du bouton.")
    url: str = Field(alias="url", description="Adresse web ouverte par le bouton (https://…).")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not URL_RE.match(value):
            raise ValueError(f"adresse web invalide « {value} » (elle doit commencer par https://)")
        return value


class Choice(Strict):
    label: Label = Field(alias="texte", description="Texte du bouton (court : 60 caractères).")
    to: str | None = Field(
        None, alias="vers", description="Étape suivante : « etape » ou « flux/etape »."
    )
    flow: Ident | None = Field(None, alias="flux", description="Aller au début de ce flux.")
    sets: dict[Ident, str] = Field(
        default_factory=dict, alias="definir", description="Variables à retenir."
    )
    clears: list[Ident] = Field(
        default_factory=list,
        alias="oublier",
        description="Réponses à oublier (pour les redemander).",
    )

    @model_validator(mode="after")
    def _one_target(self) -> Choice:
        if (self.to is None) == (self.flow is None):
            raise ValueError(
                "chaque choix doit avoir exactement une destination : « vers » ou « flux »"
            )
        return self


class Input(Strict):
    kind: Literal["departement", "nombre"] = Field(
        alias="type", description="« departement » (code, nom ou code postal) ou « nombre »."
    )
    variable: Ident = Field(alias="variable", description="Où ranger la réponse.")
    to: str | None = Field(None, alias="vers", description="Étape suivante après la réponse.")
    flow: Ident | None = Field(None, alias="flux")
    minimum: int | None = Field(None, alias="minimum")
    maximum: int | None = Field(None, alias="maximum")
    unit: Literal["mois", "ans"] | None = Field(
        None,
        alias="unite",
        description="Unité d'un nombre (« mois » ou « ans ») : « 1 an » devient 12 mois.",
    )

    @model_validator(mode="after")
    def _one_target(self) -> Input:
        if (self.to is None) == (self.flow is None):
            raise ValueError(
                "la saisie doit avoir exactement une destination : « vers » ou « flux »"
            )
        return self


class Branch(Strict):
    when: dict[Ident, Values] = Field(
        alias="si", description="Conditions (toutes vraies) : variable: valeur ou [valeurs]."
    )
    to: str | None = Field(None, alias="vers")
    flow: Ident | None = Field(None, alias="flux")

    @model_validator(mode="after")
    def _one_target(self) -> Branch:
        if (self.to is None) == (self.flow is None):
            raise ValueError("chaque cas de « selon » doit avoir « vers » ou « flux »")
        return self


class Node(Strict):
    messages: Messages = Field(
        default_factory=list, alias="message", description="Un texte ou une liste de textes."
    )
    sets: dict[Ident, str] = Field(default_factory=dict, alias="definir")
    clears: list[Ident] = Field(
        default_factory=list,
        alias="oublier",
        description="Réponses à oublier (pour les redemander).",
    )
    variable: Ident | None = Field(
        None,
        alias="variable",
        description="Question qui renseigne cette variable : sautée si la réponse est déjà connue.",
    )
    choices: list[Choice] = Field(default_factory=list, alias="choix")
    input: Input | None = Field(None, alias="saisie")
    branches: list[Branch] = Field(default_factory=list, alias="selon")
    otherwise: str | None = Field(None, alias="sinon", description="Destination si aucun cas.")
    resources: list[Ident] = Field(default_factory=list, alias="ressources")
    local_contacts: list[Literal["conseil", "cpam"]] = Field(
        default_factory=list, alias="contacts_du_departement"
    )
    simulation: Ident | None = Field(None, alias="simulation")
    links: list[Link] = Field(default_factory=list, alias="liens")
    next: str | None = Field(None, alias="suite", description="Étape affichée juste après.")
    next_flow: Ident | None = Field(None, alias="suite_flux")
    end: FrenchBool = Field(False, alias="fin", description="Fin : le menu est proposé.")
    action: Literal["oubli", "effacer", "quitter"] | None = Field(None, alias="action")

    @model_validator(mode="after")
    def _coherent(self) -> Node:
        exits = [
            bool(self.choices) or self.input is not None,
            bool(self.branches),
            self.next is not None or self.next_flow is not None,
            self.end,
        ]
        if self.next is not None and self.next_flow is not None:
            raise ValueError("une étape ne peut pas avoir à la fois « suite » et « suite_flux »")
        if sum(exits) == 0:
            raise ValueError(
                "cette étape ne mène nulle part : ajoutez des « choix », une « saisie », "
                "un « selon », une « suite » ou « fin: oui »"
            )
        if self.branches and (self.choices or self.input or self.end):
            raise ValueError("une étape avec « selon » ne peut pas avoir de choix, saisie ou fin")
        if self.branches and self.otherwise is None:
            raise ValueError(
                "« selon » doit être accompagné de « sinon » (la destination par défaut)"
            )
        if self.otherwise is not None and not self.branches:
            raise ValueError("« sinon » n'a de sens qu'avec « selon »")
        if (self.next is not None or self.next_flow is not None) and (
            self.choices or self.input or self.end
        ):
            raise ValueError("« suite » enchaîne seule : retirez les choix, la saisie ou la fin")
        if self.variable is not None and not self.choices:
            raise ValueError("« variable » demande des « choix » qui la renseignent")
        return self


class Triggers(Strict):
    examples: list[Text] = Field(default_factory=list, alias="exemples")
    keywords: list[Text] = Field(default_factory=list, alias="mots_cles")


class Flow(Strict):
    name: Ident = Field(alias="flux", description="Nom du flux (lien profond ?start=nom).")
    title: Label = Field(alias="titre", description="Nom lisible, montré à l'utilisateur.")
    description: str | None = Field(None, alias="description")
    start: Ident = Field(alias="debut", description="Étape par laquelle le flux commence.")
    nodes: dict[Ident, Node] = Field(alias="etapes")


class Command(Strict):
    description: Annotated[str, StringConstraints(min_length=3, max_length=256)] = Field(
        alias="description"
    )
    words: list[Text] = Field(default_factory=list, alias="mots")


class Variable(Strict):
    values: dict[str, Text] = Field(
        default_factory=dict, alias="valeurs", description="Valeur → libellé lisible."
    )
    kind: Literal["choix", "departement", "nombre"] = Field("choix", alias="type")


class Buttons(Strict):
    back: Label = Field(alias="retour")
    menu: Label = Field(alias="menu")
    emergency: Label = Field(alias="urgence")
    other: Label = Field(alias="aucun")


class Interface(Strict):
    welcome_flow: Ident = Field(alias="flux_accueil")
    audience_variable: Ident = Field(
        alias="variable_public", description="Variable qui filtre les ressources par public."
    )
    default_council: Ident = Field(
        alias="conseil_par_defaut",
        description="Ressource montrée quand le département est inconnu.",
    )
    menu_flow: Ident = Field(alias="flux_menu")
    emergency_flow: Ident = Field(alias="flux_urgence")
    help_flow: Ident = Field(alias="flux_aide")
    privacy_flow: Ident = Field(alias="flux_confidentialite")
    forget_flow: Ident = Field(alias="flux_oubli")
    erase_flow: Ident = Field(alias="flux_effacer")
    buttons: Buttons = Field(alias="boutons")
    messages: dict[Ident, Text] = Field(alias="messages")
    labels: dict[Ident, Text] = Field(alias="libelles")
    commands: dict[Ident, Command] = Field(alias="commandes")
    variables: dict[Ident, Variable] = Field(default_factory=dict, alias="variables")


class Understanding(Strict):
    crisis: Triggers = Field(alias="crise")
    crisis_exceptions: list[Text] = Field(default_factory=list, alias="crise_sauf")
    routes: dict[Ident, Triggers] = Field(alias="orientation")


# --- knowledge -------------------------------------------------------------

Audience = Literal[
    "tous", "liberal", "salarie", "etudiant", "proche", "patient", "autre_pro", "nsp"
]


class Resource(Strict):
    name: Label = Field(alias="nom")
    purpose: Text = Field(alias="pour", description="À quoi sert cette ressource, en une phrase.")
    audience: list[Audience] = Field(alias="public")
    phone: str | None = Field(None, alias="telephone")
    sms: str | None = Field(None, alias="sms")
    url: str | None = Field(None, alias="url")
    email: str | None = Field(None, alias="email")
    address: str | None = Field(None, alias="adresse")
    hours: str | None = Field(None, alias="horaires")
    note: str | None = Field(None, alias="note")
    source: Text = Field(alias="source", description="D'où vient l'information (facts.md, page).")
    checked_on: dt.date = Field(alias="verifie_le", description="Date de vérification AAAA-MM-JJ.")
    confidence: Literal["certain", "probable"] = Field(alias="fiabilite")

    @field_validator("phone", "sms")
    @classmethod
    def _phone(cls, value: str | None) -> str | None:
        if value is not None and not PHONE_RE.match(value):
            raise ValueError(
                f"numéro mal écrit « {value} » : écrivez-le à la française, par ex. "
                "« 01 46 22 32 97 », « 0800 288 038 », « 116 006 » ou « 3114 »"
            )
        return value

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not URL_RE.match(value):
            raise ValueError(f"adresse web invalide « {value} » (elle doit commencer par https://)")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is not None and not EMAIL_RE.match(value):
            raise ValueError(f"adresse e-mail invalide « {value} »")
        return value


class ResourceFile(Strict):
    resources: dict[Ident, Resource] = Field(alias="ressources")


class Department(Strict):
    code: str = Field(alias="code")
    name: Text = Field(alias="nom")
    council: Ident = Field(alias="conseil", description="Ressource du conseil à contacter.")
    cpam: Ident | None = Field(None, alias="cpam", description="Ressource de la CPAM, si connue.")

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not DEPARTMENT_CODE_RE.match(value):
            raise ValueError(f"code de département inconnu « {value} » (01–95, 2A, 2B, 971–976)")
        return value


class DepartmentFile(Strict):
    region: Text = Field(alias="region")
    departments: list[Department] = Field(alias="departements")


class Instalment(Strict):
    when: Text = Field(alias="quand")
    amount: int = Field(alias="montant", ge=0)


class Bonus(Strict):
    variable: Ident = Field(alias="variable")
    value: str = Field(alias="valeur")
    label: Text = Field(alias="libelle")
    amount: int = Field(alias="montant", ge=0)


class Scale(Strict):
    name: Text = Field(alias="nom")
    instalments: list[Instalment] = Field(alias="versements", min_length=1)
    bonuses: list[Bonus] = Field(default_factory=list, alias="majorations")


class Monthly(Strict):
    variable: Ident = Field(alias="variable")
    label: Text = Field(alias="libelle")
    amount_per_month: int = Field(alias="montant_par_mois", ge=0)


class Simulator(Strict):
    title: Text = Field(alias="titre")
    selector: Ident = Field(alias="selon", description="Variable qui choisit le barème.")
    scales: dict[str, Scale] = Field(alias="baremes")
    monthly: Monthly | None = Field(None, alias="supplement_mensuel")
    total_label: Text = Field(alias="libelle_total")
    note: str | None = Field(None, alias="note")
    source: Text = Field(alias="source")
    checked_on: dt.date = Field(alias="verifie_le")


class SimulatorFile(Strict):
    simulators: dict[Ident, Simulator] = Field(alias="simulateurs")
