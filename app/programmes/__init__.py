"""Multi-week programmes: a plan of weeks and days computed from parameters (``plan.build``), then
followed against the person's logs and check-ins (``follow.follow``). Pure: no HTTP, no SQL."""
