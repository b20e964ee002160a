"""Model fields shared by the apps."""

from django.db import models


class PathField(models.CharField):
    """A materialized path (``00000001.00000034.00000123.``): ASCII digits and dots,
    compared byte by byte.

    On PostgreSQL the column has the "C" collation. Its plain b-tree index then
    answers ``path LIKE 'prefix%'`` as a range *and* gives ``ORDER BY path``, whatever
    the database's collation. Under any other collation (even ``C.UTF-8``) PostgreSQL
    cannot use a collation-ordered index for a prefix LIKE: a list ordered by path
    walked the unit index from its first entry up to the scope's units (60-80 ms for
    the province that comes last), and a scoped name search could not be read scope
    first and fell back on scanning the members' table (seconds; docs/benchmarks.md,
    session 6). SQLite compares text byte by byte already, so nothing changes there.

    Every path column must have the same collation: PostgreSQL refuses to compare
    two columns of different collations."""

    def db_parameters(self, connection):
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params
