"""Permission cases for the import pages and for the list exports (people, cases,
deadlines, classes)."""

from uutu.core.permission_matrix import Case, everyone

# Importers: the Hội cadres (people.add / pipeline.hoi) and the administrator.
IMPORTERS = everyone(200, branch_head=403, party_a=403, cell_secretary=403)
# An import is seen by the user who uploaded it only.
OWNER_ONLY = everyone(404, commune_a=200)


def _import(w):
    from uutu.imports.models import Import, Kind

    imp, _ = Import.objects.get_or_create(
        user=w.users["commune_a"],
        file_name="hoi-vien.xlsx",
        defaults={"kind": Kind.PEOPLE, "file_format": "xlsx", "stored_name": "missing.xlsx"},
    )
    return {"pk": imp.pk}


CASES = [
    Case("imports:list", expect=IMPORTERS),
    Case("imports:template", kwargs=lambda w: {"kind": "hoi-vien"}, expect=IMPORTERS),
    Case("imports:template", kwargs=lambda w: {"kind": "ho-so"}, expect=IMPORTERS),
    Case("imports:upload", kwargs=lambda w: {"kind": "hoi-vien"}, expect=IMPORTERS),
    Case("imports:upload", kwargs=lambda w: {"kind": "ho-so"}, expect=IMPORTERS),
    Case("imports:detail", kwargs=_import, expect=OWNER_ONLY),
    Case("imports:progress", kwargs=_import, expect=OWNER_ONLY),
    Case("imports:errors", kwargs=_import, expect=OWNER_ONLY),
    Case("imports:commit", kwargs=_import, expect=everyone(405)),
    Case("imports:commit", kwargs=_import, method="post", expect=everyone(404, commune_a=302)),
    # Exports: the same permission and scope as their list pages.
    Case("people:export", expect=everyone(200, party_a=403, cell_secretary=403)),
    Case("pipeline:case_export", expect=everyone(200)),
    Case("pipeline:deadlines_export", expect=everyone(200)),
    Case("pipeline:class_export", expect=everyone(200, branch_head=403, cell_secretary=403)),
]
