"""`field__in_array=[...]`: membership in a long list of strings, bound as one parameter.

Django's `__in` prepares, quotes and binds every element on its own, which the import pays
for thousands of hashes a batch. Where the database seam knows a way to bind the list once
(a JSON array the server unpacks) it is used; each value is still looked up in the
column's index. Elsewhere this is the ordinary IN.
"""

from django.db import models
from django.db.models.lookups import In, Lookup

from curation.db import backend


@models.CharField.register_lookup
class InArray(Lookup):
    lookup_name = "in_array"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        values = [str(value) for value in self.rhs]
        lhs, lhs_params = self.process_lhs(compiler, connection)
        written = backend(connection.alias).in_array_sql(lhs, lhs_params, values)
        if written is None:
            return In(self.lhs, values).as_sql(compiler, connection)
        return written


class InIntegers(Lookup):
    """`field__in_ints=[...]`: membership in a long list of integers (ids), bound as one
    parameter where the database seam knows how (the stories' index works on thousands of
    ids at a time; Django's `__in` prepares and binds each one)."""

    lookup_name = "in_ints"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        sql, params = backend(connection.alias).in_integers_sql(lhs, list(self.rhs))
        return sql, [*lhs_params, *params]


models.IntegerField.register_lookup(InIntegers)
models.ForeignKey.register_lookup(InIntegers)
