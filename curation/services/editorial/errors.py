"""The editorial service's errors: what a write the rules refuse raises (views, the admin and
commands tell the editor the message)."""


class EditorialError(Exception):
    """A write the rules refuse; the message is meant for the editor."""


class ConflictError(EditorialError):
    """Someone else changed the article since the editor loaded it."""


class InvalidTransition(EditorialError):
    """The article's state does not allow this action (e.g. unpublishing a new item)."""


class InvalidEdit(EditorialError):
    def __init__(self, errors):
        self.errors = errors  # {field: message}
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))
