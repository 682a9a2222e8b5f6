"""Delete pages that refuse some rows in words: the admin's delete confirmation lists them as
protected, each with its reason and what to do instead (a user the audit log names, a topic
articles carry), rather than as a permission the admin lacks."""


class RefusesDeletion:
    """Mixin for a ModelAdmin: `deletion_refusals(objs)` returns the reason for each row of
    `objs` that may not be deleted (none: the stock page)."""

    def deletion_refusals(self, objs):
        return []

    def get_deleted_objects(self, objs, request):
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        refusals = self.deletion_refusals(objs)
        if refusals:
            protected.extend(refusals)
            # Said above, in words; not as a permission the admin lacks.
            perms_needed.discard(self.model._meta.verbose_name)
        return deleted, counts, perms_needed, protected
