from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse


def test_counts(world, login):
    for persona in ("admin", "commune_a", "province"):
        c = login(world.users[persona])
        for url in (reverse("orgs:list"), reverse("orgs:list") + "?q=thon+dong",
                    reverse("orgs:detail", args=[world.commune_a.pk]),
                    reverse("orgs:detail", args=[world.branch_a1.pk]),
                    reverse("orgs:tree_as_of", args=[world.commune_a.pk]),
                    reverse("orgs:split", args=[world.branch_a1.pk]),
                    reverse("orgs:merge", args=[world.branch_a1.pk]),
                    reverse("orgs:link", args=[world.branch_a1.pk]),
                    reverse("orgs:move", args=[world.branch_a1.pk]),
                    reverse("orgs:create_child", args=[world.commune_a.pk]),
                    ):
            with CaptureQueriesContext(connection) as ctx:
                r = c.get(url)
            print(persona, url, r.status_code, len(ctx.captured_queries))
            if "q=" in url:
                print(r.content.decode()[-3000:])
    for q in ctx.captured_queries:
        print(q["sql"][:200])
