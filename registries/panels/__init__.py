"""The Panel Registry: who is on each provider's panel, and how panels change.

- `file`: reading and checking a panel file (the format is stated in its docstring);
- `uploads`: an upload's life: checked and kept with its report, then loaded or cancelled;
- `load`: the bulk load, set-based SQL in one transaction;
- `entries`: one patient added (fee code 98990) or removed;
- `review`: coordinators' conflicts and waitlist flags;
- `selectors`, `views`, `forms`, `urls`, `tasks`: reads, pages and background work.
"""

from attachment.core.errors import DomainError


class PanelError(DomainError):
    """A panel change that cannot be made, with a reason a person can act on."""
