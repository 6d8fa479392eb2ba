"""HubSpot forms and their submissions: one submission per true form-fill touch.

Every form-fill touch of a contact HubSpot lists (the person typing their email on one of
the site's form pages, see touches.py) is a submission of the form on that page, a few
seconds to three minutes after the visit landed: the same visit the web event export shows
(its landing page view and the ``identify`` its form sent). A submission carries what
HubSpot's form integrations API returns: a conversion id, submittedAt (epoch ms), the page
URL with its UTM parameters, and the values typed (email, first and last name). Its own
random stream draws the delay and the conversion id, so no other table moves.
``ground_truth/form_submissions`` ties each submission to its touch, for tests.
"""

from __future__ import annotations

import uuid

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ingestion.simulator.channels import FORM_FILL, FORM_PAGES, SITE, TOUCH_TYPES
from ingestion.simulator.config import MINUTE, WorldConfig, stream
from ingestion.simulator.io import choose, int_strings, make_table, ts_array

# (guid, name, page path): one HubSpot form per form page of the site; guids are stable.
FORMS = tuple(
    (str(uuid.uuid5(uuid.NAMESPACE_URL, SITE + page)), name, page)
    for page, name in zip(FORM_PAGES, ("Demo request", "Contact us", "Ebook download"), strict=True)
)
MIN_DELAY_MS, MAX_DELAY_MS = 5_000, 3 * MINUTE


def form_submissions_tables(
    config: WorldConfig, touches: pa.Table, contacts: pa.Table, chunk: int
) -> tuple[pa.Table, pa.Table]:
    """(hubspot/form_submissions, ground_truth/form_submissions) of one chunk."""
    rng = stream(config.seed, "form_submissions", chunk)
    fills = touches.filter(
        pc.and_(
            pc.equal(touches["touch_type"], TOUCH_TYPES[FORM_FILL]),
            pc.is_in(touches["contact_id"], contacts["id"]),
        )
    )
    n = fills.num_rows
    landed = fills["occurred_at"].cast(pa.int64()).to_numpy()
    submitted = np.minimum(landed + rng.integers(MIN_DELAY_MS, MAX_DELAY_MS, size=n), config.end_ms)
    conversion = pa.array(
        [str(uuid.UUID(bytes=rng.bytes(16), version=4)) for _ in range(n)], pa.string()
    )
    row = pc.index_in(fills["contact_id"], contacts["id"])
    page = pc.replace_substring_regex(fills["page_url"], r"^https?://[^/]+([^?#]*).*$", r"\1")
    form = pc.index_in(page, pa.array([f[2] for f in FORMS])).to_numpy(zero_copy_only=False)
    hubspot = make_table(
        "form_submissions",
        {
            "conversion_id": conversion,
            "form_id": choose([f[0] for f in FORMS], form),
            "submitted_at": int_strings(submitted),
            "page_url": fills["page_url"],
            "email": contacts["email"].take(row),
            "firstname": contacts["firstname"].take(row),
            "lastname": contacts["lastname"].take(row),
        },
    )
    truth = make_table(
        "truth_form_submissions",
        {
            "conversion_id": conversion,
            "touch_id": fills["touch_id"],
            "contact_id": fills["contact_id"],
            "submitted_at": ts_array(submitted),
        },
    )
    return hubspot, truth
