"""Project-wide edges shared by every app: bounded pagination, strict time fields, body limits."""
