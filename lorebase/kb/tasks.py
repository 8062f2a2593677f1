"""The domain's own background jobs (the exchange formats' are in `exchange.tasks`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from lorebase.db.engine import transaction
from lorebase.jobs.worker import JobContext, JobReleased, register
from lorebase.kb import merge_codes, page_bodies
from lorebase.render import MergeCodeValues


@register(page_bodies.JOB_KIND)
def make_bodies_ready(context: JobContext) -> None:
    """Make the published bodies of one workspace ready to read, a batch per transaction (a
    reader's page renders a body that is not ready yet; nothing waits for this job)."""
    workspace_id = context.params["workspace_id"]
    done = 0
    while True:
        with transaction(context.session_factory) as session:

            def values_of(code: str, session: Session = session) -> MergeCodeValues:
                return merge_codes.values_for(session, workspace_id, code)

            made = page_bodies.make_unready_ready(session, workspace_id, values_of)
        if not made:
            break
        done += made
        context.progress(done, 0, None)
        if context.stop.is_set() or context.lease_lost.is_set():
            raise JobReleased
    context.result = {"bodies": done}
