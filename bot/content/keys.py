"""Names of the interface texts the code needs: the contract between ``bot/`` and ``flows/``.

The words themselves live in ``flows/interface.yaml``.
"""

from __future__ import annotations

from typing import Final

MESSAGES: Final = {
    "incompris": (),
    "oriente_vers": ("titre",),
    "propositions": (),
    "menu_perime": (),
    "etape_disparue": (),
    "debut_conversation": (),
    "departement_confirmer": (),
    "departement_inconnu": (),
    "departement_retenu": ("departement",),
    "nombre_invalide": ("minimum", "maximum"),
    "nombre_impossible": ("valeur", "minimum", "maximum"),
    "nombre_entier": ("valeur", "bas", "haut"),
    "contacts_departement": ("departement",),
    "commande_inconnue": (),
    "erreur": (),
    # Telegram channel
    "prive_seulement": (),
    "texte_seulement": (),
    "message_modifie": (),
    "admin_version": ("version", "charge_le"),
    "admin_stats": (),
    "admin_stats_jours": (),
    "admin_stats_semaines": (),
    "admin_stats_sujets": (),
    "admin_contenu_refuse": ("version",),
    "admin_contenu_retabli": ("version",),
}
"""Interface message keys and the placeholders each may use."""

LABELS: Final = ("telephone", "sms", "email", "site", "adresse", "horaires")
"""Labels of resource card lines."""

COMMANDS: Final = (
    "start",
    "menu",
    "retour",
    "recommencer",
    "urgence",
    "aide",
    "confidentialite",
    "oubli",
    "effacer",
    "quitter",
)
"""Commands every channel understands; descriptions and typed synonyms in interface.yaml."""
