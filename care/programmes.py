"""The programmes a PCN's care coordinators enrol patients in: data, loaded by a migration.

Kept in the database (not an enum) so a PCN can add its own in the admin without a change
to the code.
"""

PROGRAMMES = [
    ("frailty", "Frailty", "Frail and elderly people living at home"),
    ("long_term_conditions", "Long-term conditions", "One or more long-term conditions that need coordinated care"),
    ("cshcn", "Children with special health care needs", "The registry of children with special health care needs"),
    ("post_discharge", "Post-discharge", "People just out of hospital, through their transition home"),
    ("complex_needs", "Complex needs", "Several conditions and services, social needs, or both"),
]


def load(Programme):
    """Create whichever programmes are missing (the model passed in, so migrations can use it)."""
    for position, (code, name, description) in enumerate(PROGRAMMES, start=1):
        Programme.objects.get_or_create(code=code, defaults={"name": name, "description": description,
                                                             "position": position})
