from uutu.core.permission_matrix import LOGIN, Case, everyone

MANAGERS_ONLY = dict(branch_head=403, cell_secretary=403)


def _user_of(persona):
    return lambda w: {"pk": w.users[persona].pk}


CASES = [
    # Signed-in users are sent on from the log-in page.
    Case("accounts:login", expect={**everyone(302), "anonymous": 200}),
    # Log-out is a POST; everyone (even anonymous) is sent on to the log-in page.
    Case("accounts:logout", method="post", expect={**everyone(302), "anonymous": LOGIN}),
    Case("accounts:password_change", expect=everyone(200)),
    Case("accounts:user_list", expect=everyone(200, **MANAGERS_ONLY)),
    Case("accounts:user_create", expect=everyone(200, **MANAGERS_ONLY)),
    # The branch head's account (chi hội A1): visible to those who manage A1.
    Case(
        "accounts:user_detail",
        kwargs=_user_of("branch_head"),
        expect=everyone(200, commune_b=404, party_a=403, **MANAGERS_ONLY),
    ),
    Case(
        "accounts:user_edit",
        kwargs=_user_of("branch_head"),
        expect=everyone(200, commune_b=404, party_a=403, **MANAGERS_ONLY),
    ),
    Case(
        "accounts:user_password",
        kwargs=_user_of("branch_head"),
        expect=everyone(200, commune_b=404, party_a=403, **MANAGERS_ONLY),
    ),
    # POST-only actions: a GET is refused with 405 for managers who may act.
    Case("accounts:user_toggle_active", kwargs=_user_of("commune_a"), expect=everyone(405)),
    Case("accounts:role_grant", kwargs=_user_of("commune_a"), expect=everyone(405)),
    Case(
        "accounts:role_revoke",
        kwargs=lambda w: {"pk": w.users["commune_a"].assignments.get().pk},
        expect=everyone(405),
    ),
]
