"""Import pages: upload, preview (counts and errors), commit with a progress bar,
the templates and the error report. Thin: the work is in :mod:`.services`.

An import is seen only by the user who uploaded it (anyone else: 404)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from uutu.core.exports import xlsx_response
from uutu.core.forms import apply_errors

from . import services
from .forms import UploadForm
from .models import Import, Kind

KIND_SLUGS = {"hoi-vien": Kind.PEOPLE, "ho-so": Kind.CASES}
SLUG_OF = {kind: slug for slug, kind in KIND_SLUGS.items()}
ERRORS_SHOWN = 200


def _kind(user, slug) -> str:
    kind = KIND_SLUGS.get(slug)
    if kind is None:
        raise Http404
    if not services.may_import(user, kind):
        raise PermissionDenied
    return kind


def _get_import(user, pk) -> Import:
    try:
        return Import.objects.select_related("user").get(pk=pk, user=user)
    except Import.DoesNotExist as exc:
        raise Http404 from exc


def _kinds(user):
    return [
        {"kind": kind, "slug": SLUG_OF[kind], "label": kind.label}
        for kind in Kind
        if services.may_import(user, kind)
    ]


def import_list(request):
    kinds = _kinds(request.user)
    if not kinds:
        raise PermissionDenied
    imports = Import.objects.filter(user=request.user)[:30]
    return render(
        request,
        "imports/list.html",
        {"kinds": kinds, "imports": imports, "form": UploadForm()},
    )


def template(request, kind):
    kind = _kind(request.user, kind)
    name = _("Mẫu nhập hội viên") if kind == Kind.PEOPLE else _("Mẫu nhập hồ sơ")
    return xlsx_response(services.template_workbook(kind), name)


def upload(request, kind):
    slug = kind
    kind = _kind(request.user, kind)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            imp = services.start_import(
                user=request.user, kind=kind, uploaded=form.cleaned_data["file"]
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            services.schedule(imp, "validate")
            return redirect("imports:detail", pk=imp.pk)
    return render(
        request,
        "imports/upload.html",
        {"form": form, "kind": kind, "slug": slug, "kind_label": Kind(kind).label},
    )


def _status_context(imp):
    errors = [services.format_error(e) for e in imp.errors[:ERRORS_SHOWN]]
    return {
        "imp": imp,
        "percent": services.percent(imp),
        "errors": errors,
        "more_errors": max(imp.error_count - len(errors), 0),
        "slug": SLUG_OF[imp.kind],
    }


def detail(request, pk):
    imp = _get_import(request.user, pk)
    return render(request, "imports/detail.html", _status_context(imp))


def progress(request, pk):
    """The status block alone, polled by htmx while the import runs."""
    imp = _get_import(request.user, pk)
    return render(request, "imports/_status.html", _status_context(imp))


@require_POST
def commit(request, pk):
    imp = _get_import(request.user, pk)
    if not services.may_import(request.user, imp.kind):
        raise PermissionDenied
    if services.queue_commit(imp):
        imp.refresh_from_db()
        services.schedule(imp, "commit")
    else:
        messages.error(request, _("Tệp này chưa sẵn sàng để nhập hoặc đã được nhập."))
    return redirect("imports:detail", pk=imp.pk)


def errors(request, pk):
    imp = _get_import(request.user, pk)
    name = _("Lỗi nhập %(file)s") % {"file": imp.file_name.rsplit(".", 1)[0]}
    return xlsx_response(services.error_workbook(imp), name)
