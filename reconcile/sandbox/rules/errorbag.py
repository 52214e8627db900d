"""Laravel's error bag, shared by the validators."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Errors:
    """Laravel's error bag: field path → messages, in the order they were found."""

    by_field: dict[str, list[str]] = field(default_factory=dict)

    def add(self, path: str, text: str) -> None:
        messages = self.by_field.setdefault(path, [])
        if text not in messages:
            messages.append(text)

    def __bool__(self) -> bool:
        return bool(self.by_field)
