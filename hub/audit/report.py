"""The verifier's result: problems (the export does not verify), warnings, and a bilingual text.

Pure standard library (imported by the offline verifier).
"""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_LISTED = 20


@dataclass(frozen=True)
class Problem:
    """One finding; `seq` names the entry concerned when there is one."""

    code: str
    message_fr: str
    message_en: str
    seq: int | None = None


@dataclass
class VerificationReport:
    entries: int = 0
    heads: int = 0
    verified_size: int = 0
    first_bad_seq: int | None = None
    problems: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    problem_count: int = 0

    @property
    def ok(self) -> bool:
        return self.problem_count == 0

    def add_problem(self, problem: Problem) -> None:
        """Record a failure; only the first few are kept in full, all are counted."""
        self.problem_count += 1
        if len(self.problems) < MAX_LISTED:
            self.problems.append(problem)

    def add_located_problem(self, problem: Problem) -> None:
        """Record a failure whose `seq` may be the first bad one."""
        self.add_problem(problem)
        if problem.seq is not None and (self.first_bad_seq is None or problem.seq < self.first_bad_seq):
            self.first_bad_seq = problem.seq

    def add_warning(self, warning: Problem) -> None:
        if len(self.warnings) < MAX_LISTED:
            self.warnings.append(warning)

    def render(self) -> str:
        """A human text, French first then English."""
        lines = [self._headline()]
        lines += [f"  ✗ [{p.code}] {p.message_fr} / {p.message_en}" for p in self.problems]
        if self.problem_count > len(self.problems):
            hidden = self.problem_count - len(self.problems)
            lines.append(f"  … {hidden} autre(s) problème(s) / {hidden} more problem(s)")
        lines += [f"  ! [{w.code}] {w.message_fr} / {w.message_en}" for w in self.warnings]
        return "\n".join(lines)

    def _headline(self) -> str:
        counts = (
            f"{self.entries} entrées / entries, {self.heads} têtes signées / signed heads, "
            f"taille vérifiée / verified size {self.verified_size}"
        )
        if self.ok and self.warnings:
            return (f"OK SOUS RÉSERVE / VERIFIED WITH RESERVATIONS — lisez les avertissements"
                    f" : ce qu'ils nomment n'est pas garanti / read the warnings: what they "
                    f"name is not vouched for ({counts})")
        if self.ok:
            return f"OK — journal intègre / log verified ({counts})"
        where = (
            f"première entrée fautive / first bad entry: seq {self.first_bad_seq}"
            if self.first_bad_seq is not None
            else "aucune entrée désignée / no entry named"
        )
        return f"ÉCHEC / FAILED — {where} ({counts})"
