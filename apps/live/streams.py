"""Names of the live event streams (the one place that spells them)."""


def org_stream(organisation_id: int) -> str:
    """The stream of one organisation: its users follow it, the control room's is every DSO's."""
    return f"org-{organisation_id}"
