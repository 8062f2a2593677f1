"""`lorebase demo`: a small, realistic sample knowledge base built through the domain API."""

from __future__ import annotations

from sqlalchemy.orm import Session

from lorebase.kb import articles, categories, merge_codes, workspaces
from lorebase.kb.categories import FOLDER, INDEX, PAGE

GETTING_STARTED = """# Welcome to {{variable.ProductName}}

{{variable.ProductName}} keeps your team's knowledge in one place.

## Install

```bash
pip install acme-cli
acme login
```

| Plan | Seats | Support |
|------|------:|---------|
| Free | 3 | Community |
| Team | 50 | Email |

- [x] Create an account
- [ ] Invite your team

{{snippet.SupportFooter}}
"""

FAQ_HTML = (
    "<h2>Billing</h2><p>Invoices are sent on the first day of each month.</p>"
    "<p>Questions? {{snippet.SupportFooter}}</p>"
)


def load_demo(session: Session, project_id: str) -> str:
    workspace = workspaces.workspaces(session, project_id)[0]
    scope = workspaces.find_workspace(session, project_id, workspace.id)
    assert scope is not None
    if not scope.has_language("fr"):
        workspaces.add_language(session, workspace.id, "fr")
    owner = workspaces.users(session, project_id)[0]
    for kind, name, value, lang in (
        ("variable", "ProductName", "Acme Cloud", None),
        ("variable", "ProductName", "Acme Nuage", "fr"),
        ("variable", "SupportEmail", "help@acme.example", None),
        ("snippet", "SupportFooter", "Need help? Write to {{variable.SupportEmail}}.", None),
        ("glossary", "SLA", "SLA", None),
    ):
        existing = {
            (e.name, e.language_code)
            for e in merge_codes.list_entries(session, project_id, workspace.id, kind)
        }
        if (name, lang or "") in existing:
            continue
        merge_codes.create_entry(
            session,
            project_id,
            kind,
            {
                "project_version_id": workspace.id,
                "name": name,
                "value": value,
                "language_code": lang,
                "definition": "Service level agreement: the uptime we promise."
                if kind == "glossary"
                else None,
            },
        )

    guide = categories.create_category(
        session,
        project_id,
        name="User guide",
        project_version_id=workspace.id,
        category_type=INDEX,
        content="Everything you need to use {{variable.ProductName}}.",
        user_id=owner.id,
    )
    basics = categories.create_category(
        session,
        project_id,
        name="Basics",
        project_version_id=workspace.id,
        parent_category_id=guide.id,
        category_type=FOLDER,
        user_id=owner.id,
    )
    admin = categories.create_category(
        session,
        project_id,
        name="Administration",
        project_version_id=workspace.id,
        parent_category_id=basics.id,
        category_type=PAGE,
        content="Administrators manage seats and billing. See the {{glossary.SLA}}.",
        user_id=owner.id,
    )
    categories.publish_page(session, project_id, admin.id, None, 1, owner.id, "First release")

    start, _ = articles.create_article(
        session,
        project_id,
        title="Getting started",
        project_version_id=workspace.id,
        user_id=owner.id,
        content=GETTING_STARTED,
        category_id=basics.id,
        content_type=0,
    )
    articles.publish_article(
        session,
        project_id,
        start.id,
        None,
        version_number=1,
        user_id=owner.id,
        message="Initial version",
    )
    # A published article with a newer draft on top.
    articles.update_article(
        session,
        project_id,
        start.id,
        None,
        fields={"content": GETTING_STARTED + "\n## What's new\n\nDark mode."},
    )
    articles.update_article(
        session,
        project_id,
        start.id,
        "fr",
        fields={"title": "Bien démarrer", "content": "# Bienvenue dans {{variable.ProductName}}"},
    )
    articles.publish_article(
        session,
        project_id,
        start.id,
        "fr",
        version_number=1,
        user_id=owner.id,
        message="Traduction",
    )
    articles.create_article(
        session,
        project_id,
        title="Billing FAQ",
        project_version_id=workspace.id,
        user_id=owner.id,
        content=FAQ_HTML,
        category_id=admin.id,
        content_type=1,
    )
    articles.create_article(
        session,
        project_id,
        title="Roadmap (draft)",
        project_version_id=workspace.id,
        user_id=owner.id,
        content="Coming soon: *offline mode*.",
        category_id=guide.id,
    )
    return (
        f"workspace {workspace.slug}: 3 categories (index, folder, page), 3 articles "
        f"(Markdown and HTML, en + fr), variables, a snippet and a glossary term"
    )
