"""Understanding free text: normalisation, routing, crisis and department detection.

Pure code: it receives plain data (phrases built by the content loader) and
does no I/O, no logging, and holds no user-facing sentences.
"""

from bot.understanding.choices import match_choice
from bot.understanding.crisis import CrisisDetector, CrisisResult
from bot.understanding.departments import Department, DepartmentResolver, Resolution
from bot.understanding.normalise import content_words, normalise
from bot.understanding.router import Decision, Match, Router, Target

__all__ = [
    "CrisisDetector",
    "CrisisResult",
    "Decision",
    "Department",
    "DepartmentResolver",
    "Match",
    "Resolution",
    "Router",
    "Target",
    "content_words",
    "match_choice",
    "normalise",
]
