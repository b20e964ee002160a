"""The organisation pages: the unit list, a unit's page, the reorganisation actions
(create, rename, move, merge, split, dissolve, link) and the tree as of a date.

Views stay thin: they fetch through the scoping mechanism, validate a form and call
one service function. Every unit is fetched with :func:`get_scoped_or_404` (404
outside the user's scope, 403 without the action)."""

import datetime
from collections.abc import Callable
from typing import NamedTuple

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, F, Q
from django.db.models.functions import Substr
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from uutu.accounts import permissions
from uutu.accounts.roles import ORGS_CHANGE, ORGS_VIEW, Role, grants
from uutu.core import audit
from uutu.core.forms import apply_errors
from uutu.core.scoping import get_scoped_or_404, require_in_scope
from uutu.core.text import fold
from uutu.people.models import Person

from . import forms, services
from .models import HOI_LEAF_LEVELS, PATH_SEGMENT_WIDTH, OrgEvent, Tree, Unit

# The accent-insensitive search folds names in Python; it reads at most this many
# (id, name, code) rows of the filtered list.
SEARCH_SCAN_LIMIT = 20000


def _in_scope(user, unit) -> bool:
    """Is ``unit`` within the user's scope (the rows she may know exist)?"""
    prefixes = permissions.scope_prefixes(user, None)
    if prefixes is permissions.ALL:
        return True
    return any(unit.path.startswith(p) for p in prefixes)


def _base_depth(user) -> int:
    """Depth of the highest unit where the user may view units (indent origin)."""
    depths = [
        0 if a.role == Role.SYSADMIN else a.unit.depth
        for a in permissions.all_assignments(user)
        if grants(a.role, ORGS_VIEW)
    ]
    return min(depths, default=0)


def _search(queryset, text: str):
    """Ids of the units whose name (accents and case ignored) contains every word
    of ``text``, or whose code starts with it; in the queryset's order."""
    words = fold(text).split(" ")
    code = text.strip().lower()
    ids, truncated = [], False
    rows = queryset.values_list("pk", "name", "code")
    for n, (pk, name, unit_code) in enumerate(rows.iterator(chunk_size=2000)):
        if n >= SEARCH_SCAN_LIMIT:
            truncated = True
            break
        folded = fold(name)
        if all(w in folded for w in words) or unit_code.lower().startswith(code):
            ids.append(pk)
    return ids, truncated


def unit_list(request):
    """The units in the user's scope, in tree order (her top units first)."""
    user = request.user
    if not permissions.has_any(user, ORGS_VIEW):
        raise PermissionDenied
    form = forms.UnitFilterForm(request.GET or None)
    units = Unit.objects.restrict(user, ORGS_VIEW)
    filters = {}
    if form.is_valid():
        filters = form.cleaned_data
    if filters.get("tree"):
        units = units.filter(tree=filters["tree"])
    if filters.get("level"):
        units = units.filter(level=filters["level"])
    if not filters.get("inactive"):
        units = units.filter(is_active=True)
    units = units.order_by("path")
    q = (filters.get("q") or "").strip()
    truncated = False
    if q:
        ids, truncated = _search(units, q)
        page = Paginator(ids, settings.PAGE_SIZE).get_page(request.GET.get("page"))
        by_id = (
            units.filter(pk__in=list(page.object_list)).select_related("level", "parent").in_bulk()
        )
        rows = [by_id[i] for i in page.object_list if i in by_id]
    else:
        page = Paginator(units.select_related("level", "parent"), settings.PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        rows = list(page.object_list)
    base = _base_depth(user)
    for unit in rows:
        unit.indent = max(unit.depth - base, 0)
    query = urlencode([(k, v) for k, v in request.GET.items() if k != "page" and v])
    return render(
        request,
        "orgs/unit_list.html",
        {
            "form": form,
            "page": page,
            "units": rows,
            "query": query,
            "q": q,
            "truncated": truncated,
            "scan_limit": SEARCH_SCAN_LIMIT,
            "can_change_any": permissions.has_any(user, ORGS_CHANGE),
        },
    )


def _member_counts(unit, children) -> tuple[dict[str, int], int]:
    """Current members under each child (by its path), and under ``unit``: one
    GROUP BY over the subtree on the child's path segment."""
    width = len(unit.path) + PATH_SEGMENT_WIDTH + 1
    rows = (
        Person.objects.filter(branch__path__startswith=unit.path, archived_at__isnull=True)
        .annotate(prefix=Substr("branch__path", 1, width))
        .values("prefix")
        .annotate(n=Count("id"))
        .order_by()
    )
    counts = {r["prefix"]: r["n"] for r in rows}
    return counts, sum(counts.values())


def unit_detail(request, pk):
    user = request.user
    unit = get_scoped_or_404(
        user,
        Unit.objects.select_related("level", "parent", "counterpart", "successor"),
        ORGS_VIEW,
        pk=pk,
    )
    ancestors = [(a, permissions.can(user, ORGS_VIEW, a)) for a in unit.ancestors()]
    children = list(
        Unit.objects.restrict(user, ORGS_VIEW)
        .filter(parent=unit)
        .select_related("level")
        .order_by("-is_active", "name")
    )
    counts, total_members = _member_counts(unit, children)
    for child in children:
        child.member_count = counts.get(child.path, 0)
    versions = list(
        unit.versions.select_related("parent").order_by(F("valid_from").asc(nulls_first=True), "id")
    )
    events = list(
        OrgEvent.objects.filter(Q(sources=unit) | Q(targets=unit))
        .distinct()
        .select_related("created_by")
        .prefetch_related("sources", "targets")
        .order_by("-date", "-id")
    )
    counterpart = unit.counterpart
    successor = unit.successor
    can_change = permissions.can(user, ORGS_CHANGE, unit)
    return render(
        request,
        "orgs/unit_detail.html",
        {
            "unit": unit,
            "ancestors": ancestors,
            "children": children,
            "total_members": total_members,
            "versions": versions,
            "events": events,
            "entries": audit.history_for(unit).select_related("content_type")[:50],
            "counterpart": counterpart,
            "counterpart_in_scope": counterpart is not None and _in_scope(user, counterpart),
            "counterpart_viewable": counterpart is not None
            and permissions.can(user, ORGS_VIEW, counterpart),
            "successor": successor,
            "successor_viewable": successor is not None
            and permissions.can(user, ORGS_VIEW, successor),
            "can_change": can_change,
            "can_audit": permissions.can(user, "audit.view", unit),
            "today": datetime.date.today(),
        },
    )


def _unit_for_change(request, pk, *, active_only=True):
    """The unit of an action page: 404 out of scope, 403 without orgs.change.
    Actions on a unit that has ended return ``None`` after a message."""
    unit = get_scoped_or_404(
        request.user, Unit.objects.select_related("level", "parent"), ORGS_CHANGE, pk=pk
    )
    if active_only and not unit.is_active:
        messages.error(
            request, _("Đơn vị “%(name)s” đã giải thể hoặc sáp nhập.") % {"name": unit.name}
        )
        return unit, False
    return unit, True


def _render_action(request, unit, form, title, intro="", template="orgs/unit_action.html", **extra):
    return render(
        request,
        template,
        {
            "unit": unit,
            "form": form,
            "title": title,
            "intro": intro,
            **extra,
        },
    )


def unit_create_child(request, pk):
    user = request.user
    parent, ok = _unit_for_change(request, pk)
    if not ok:
        return redirect("orgs:detail", pk=parent.pk)
    form = forms.CreateChildForm(request.POST or None, parent=parent)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                unit = services.create_unit(
                    parent=parent,
                    level=data["level"],
                    name=data["name"],
                    code=data["code"].strip(),
                    area_name=data["area_name"],
                    on=data["on"],
                    doc_no=data["doc_no"],
                    remote_area=data["remote_area"],
                    actor=user,
                )
                require_in_scope(user, unit, ORGS_CHANGE)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Đã thành lập đơn vị “%(name)s”.") % {"name": unit.name})
            return redirect("orgs:detail", pk=unit.pk)
    return _render_action(
        request,
        parent,
        form,
        _("Thành lập đơn vị trực thuộc"),
        _("Đơn vị mới sẽ trực thuộc “%(name)s”.") % {"name": parent.name},
    )


def unit_rename(request, pk):
    user = request.user
    unit, ok = _unit_for_change(request, pk)
    if not ok:
        return redirect("orgs:detail", pk=unit.pk)
    form = forms.RenameForm(request.POST or None, initial={"new_name": unit.name})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        old_name = unit.name
        try:
            services.rename_unit(
                unit,
                new_name=data["new_name"],
                on=data["on"],
                doc_no=data["doc_no"],
                note=data["note"],
                actor=user,
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("Đã đổi tên “%(old)s” thành “%(new)s”.") % {"old": old_name, "new": unit.name},
            )
            return redirect("orgs:detail", pk=unit.pk)
    return _render_action(request, unit, form, _("Đổi tên đơn vị"))


def unit_move(request, pk):
    user = request.user
    unit, ok = _unit_for_change(request, pk)
    if not ok:
        return redirect("orgs:detail", pk=unit.pk)
    form = forms.MoveForm(request.POST or None, unit=unit, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                services.move_unit(
                    unit,
                    new_parent=data["new_parent"],
                    on=data["on"],
                    doc_no=data["doc_no"],
                    note=data["note"],
                    actor=user,
                )
                require_in_scope(user, unit, ORGS_CHANGE)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("Đã chuyển “%(name)s” về trực thuộc “%(parent)s”.")
                % {"name": unit.name, "parent": data["new_parent"].name},
            )
            return redirect("orgs:detail", pk=unit.pk)
    return _render_action(
        request,
        unit,
        form,
        _("Chuyển đơn vị sang cấp trên khác"),
        _(
            "Toàn bộ đơn vị trực thuộc sẽ được chuyển theo. Lịch sử trước ngày hiệu lực được "
            "giữ nguyên."
        ),
    )


def unit_merge(request, pk):
    user = request.user
    unit, ok = _unit_for_change(request, pk)
    if not ok:
        return redirect("orgs:detail", pk=unit.pk)
    form = forms.MergeForm(request.POST or None, unit=unit, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        sources = [unit, *data["others"]]
        into = data["target"] if data["mode"] == forms.MergeForm.MODE_EXISTING else None
        try:
            with transaction.atomic():
                target = services.merge_units(
                    sources,
                    on=data["on"],
                    into=into,
                    name=data["name"],
                    code=(data["code"] or "").strip(),
                    doc_no=data["doc_no"],
                    note=data["note"],
                    actor=user,
                )
                require_in_scope(user, target, ORGS_CHANGE)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("Đã hợp nhất %(n)s đơn vị vào “%(name)s”.")
                % {"n": len(sources), "name": target.name},
            )
            return redirect("orgs:detail", pk=target.pk)
    return _render_action(
        request,
        unit,
        form,
        _("Hợp nhất / sáp nhập đơn vị"),
        _(
            "Đơn vị trực thuộc và hội viên của các đơn vị được hợp nhất chuyển sang đơn vị "
            "sau hợp nhất; hồ sơ trước ngày hiệu lực vẫn gắn với đơn vị cũ."
        ),
        template="orgs/unit_merge.html",
    )


def unit_split(request, pk):
    user = request.user
    unit, ok = _unit_for_change(request, pk)
    if not ok:
        return redirect("orgs:detail", pk=unit.pk)
    form = forms.SplitForm(request.POST or None, unit=unit, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with transaction.atomic():
                new_units = services.split_unit(
                    unit,
                    parts=data["parts"],
                    on=data["on"],
                    keep_source=data["keep_source"],
                    doc_no=data["doc_no"],
                    note=data["note"],
                    actor=user,
                )
                for new in new_units:
                    require_in_scope(user, new, ORGS_CHANGE)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(
                request,
                _("Đã chia tách “%(name)s” thành: %(parts)s.")
                % {
                    "name": unit.name,
                    "parts": ", ".join(u.name for u in new_units),
                },
            )
            return redirect("orgs:detail", pk=unit.pk)
    return _render_action(
        request, unit, form, _("Chia tách đơn vị"), template="orgs/unit_split.html"
    )


def unit_dissolve(request, pk):
    user = request.user
    unit, ok = _unit_for_change(request, pk)
    if not ok:
        return redirect("orgs:detail", pk=unit.pk)
    form = forms.DissolveForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.dissolve_unit(
                unit, on=data["on"], doc_no=data["doc_no"], note=data["note"], actor=user
            )
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Đã giải thể “%(name)s”.") % {"name": unit.name})
            return redirect("orgs:detail", pk=unit.pk)
    return _render_action(
        request,
        unit,
        form,
        _("Giải thể đơn vị"),
        _(
            "Chỉ giải thể được đơn vị không còn hội viên và đơn vị trực thuộc. Đơn vị vẫn được "
            "lưu lại cùng lịch sử của nó."
        ),
    )


def unit_link(request, pk):
    user = request.user
    unit, ok = _unit_for_change(request, pk, active_only=False)
    if unit.tree != Tree.HOI:
        raise Http404
    form = forms.LinkForm(
        request.POST or None, unit=unit, user=user, initial={"counterpart": unit.counterpart_id}
    )
    if request.method == "POST" and form.is_valid():
        party_unit = form.cleaned_data["counterpart"]
        try:
            services.link_counterpart(unit, party_unit, actor=user)
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            if party_unit is None:
                messages.success(
                    request, _("Đã bỏ liên kết tổ chức Đảng của “%(name)s”.") % {"name": unit.name}
                )
            else:
                messages.success(
                    request,
                    _("Đã liên kết “%(name)s” với “%(party)s”.")
                    % {"name": unit.name, "party": party_unit.name},
                )
            return redirect("orgs:detail", pk=unit.pk)
    return _render_action(
        request,
        unit,
        form,
        _("Liên kết với tổ chức Đảng"),
        _("Chọn tổ chức Đảng ở cùng địa bàn: chi bộ của thôn, tổ dân phố hoặc Đảng bộ xã."),
    )


def _as_of_nodes(tree: dict, root_id: int) -> list[tuple[int, str, int]]:
    """The subtree of ``root_id`` in ``tree`` ({id: (name, parent_id)}) as
    (id, name, indent) rows in depth-first order, siblings by name."""
    children: dict[int, list[int]] = {}
    for uid, (_name, parent_id) in tree.items():
        if uid != root_id and parent_id is not None:
            children.setdefault(parent_id, []).append(uid)
    for kids in children.values():
        kids.sort(key=lambda i: fold(tree[i][0]))
    rows, stack, seen = [], [(root_id, 0)], set()
    while stack:
        uid, indent = stack.pop()
        if uid in seen:
            continue
        seen.add(uid)
        rows.append((uid, tree[uid][0], indent))
        stack.extend((kid, indent + 1) for kid in reversed(children.get(uid, [])))
    return rows


def unit_tree_as_of(request, pk):
    user = request.user
    unit = get_scoped_or_404(user, Unit.objects.select_related("level"), ORGS_VIEW, pk=pk)
    today = datetime.date.today()
    data = request.GET.copy()
    if not data.get("ngay"):
        data["ngay"] = today.isoformat()
    form = forms.AsOfForm(data)
    rows, on, existed = [], None, True
    if form.is_valid():
        on = form.cleaned_data["ngay"]
        tree = services.tree_as_of(on, root=unit)
        if unit.pk in tree:
            viewable = set(
                Unit.objects.restrict(user, ORGS_VIEW)
                .filter(path__startswith=unit.path)
                .values_list("pk", flat=True)
            )
            rows = [
                {"pk": uid, "name": name, "indent": indent, "link": uid in viewable}
                for uid, name, indent in _as_of_nodes(tree, unit.pk)
            ]
        else:
            existed = False
    return render(
        request,
        "orgs/unit_tree_as_of.html",
        {
            "unit": unit,
            "form": form,
            "on": on,
            "rows": rows,
            "existed": existed,
            "today": today,
        },
    )


class Purpose(NamedTuple):
    """What one unit picker offers: the active units of the user's scope for
    ``action`` in ``trees``, without the ``excluded`` levels, and only of ``levels``
    when given; or what ``units(user)`` returns, for a choice that is not a plain
    part of her scope (another app registers it, see pipeline.apps)."""

    action: str
    trees: tuple
    excluded: tuple = ()
    levels: tuple = ()
    units: Callable | None = None

    def scope(self, user):
        """The active units of ``user``'s scope for the action, trees and levels
        (``units`` aside: a registered ``units`` may start from these)."""
        units = Unit.objects.restrict(user, self.action).active().filter(tree__in=self.trees)
        if self.excluded:
            units = units.exclude(level__code__in=self.excluded)
        if self.levels:
            units = units.filter(level__code__in=self.levels)
        return units


CENTRAL = ("hoi_central", "dang_central")
# The unit pickers, by ``?for=``: the list filters, the page selectors and the
# forms that create or change something (``forms.ScopedUnitField``). A form's view
# builds its choices with ``picker_units`` too, so the search offers exactly the
# units the form accepts.
PICKER_PURPOSES = {
    "people": Purpose("people.view", (Tree.HOI,), ("hoi_central",)),
    "cases": Purpose("pipeline.view", (Tree.HOI, Tree.DANG), CENTRAL),
    # The unit selectors of the dashboard and of the emulation pages.
    "dashboard": Purpose("dashboard.view", (Tree.HOI, Tree.DANG), CENTRAL),
    # Units that rank their children: not the chi hội and tổ (see emulation.views).
    "emulation": Purpose("emulation.view", (Tree.HOI,), ("hoi_central", *HOI_LEAF_LEVELS)),
    # The chi hội a new member joins, or a member moves to.
    "people_add": Purpose("people.add", (Tree.HOI,), levels=("hoi_branch",)),
    "people_move": Purpose("people.move", (Tree.HOI,), levels=("hoi_branch",)),
    # The unit of a new account or of a role granted.
    "accounts": Purpose("accounts.manage", (Tree.HOI, Tree.DANG)),
    # The unit a report is written for.
    "reports": Purpose("reports.edit", (Tree.HOI, Tree.DANG), CENTRAL),
    # The parent unit whose children's reports are overseen, or given a deadline
    # (reports.views): not the levels that cannot have children (the view keeps
    # only the units that have one).
    "reports_overview": Purpose(
        "reports.approve", (Tree.HOI, Tree.DANG), (*CENTRAL, "hoi_group", "dang_cell")
    ),
    # The party cells: where an external candidate is entered; the cells a user sees.
    "party_cells": Purpose("pipeline.party", (Tree.DANG,), levels=("dang_cell",)),
    "view_cells": Purpose("pipeline.view", (Tree.DANG,), levels=("dang_cell",)),
    # The unit organising a Party awareness class (pipeline.views_party).
    "class_organisers": Purpose(
        "pipeline.class",
        (Tree.HOI, Tree.DANG),
        levels=(
            "dang_province",
            "dang_district",
            "dang_commune",
            "dang_cell",
            "hoi_province",
            "hoi_district",
            "hoi_commune",
        ),
    ),
}


def picker_units(user, purpose: str):
    """The units the picker ``purpose`` offers ``user`` ("people", "cases",
    "people_add"…): the active units of her scope for its action, of its trees and
    levels."""
    chosen = PICKER_PURPOSES[purpose]
    return chosen.scope(user) if chosen.units is None else chosen.units(user)


def unit_search(request):
    """Search as you type for the unit pickers: at most ``PICKER_LIMIT`` units of
    the user's scope whose name contains the typed words (accents ignored), as
    ``<option>`` elements for a ``<datalist>``. The typed text comes as ``q`` or
    under the picker's own field name (htmx sends the input's value)."""
    purpose = request.GET.get("for", "people")
    if purpose not in PICKER_PURPOSES:
        raise Http404
    user = request.user
    if not permissions.has_any(user, PICKER_PURPOSES[purpose].action):
        raise PermissionDenied
    # htmx sends the input's own value under its own name (unit, branch, cell…).
    text = request.GET.get("q") or next((v for k, v in request.GET.items() if k != "for"), "")
    units = list(forms.search_units(picker_units(user, purpose), text[:100]))
    for unit in units:
        unit.label = forms.unit_label(unit)
    return render(request, "orgs/_unit_options.html", {"units": units})
