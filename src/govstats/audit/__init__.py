"""Auditing: re-deriving published figures, from the inputs or from a report's text.

Two audits share one result type, :class:`~govstats.audit.findings.AuditReport`:

- :mod:`govstats.audit.outputs` recomputes a compiled year from its inputs and
  compares every output file with what the inputs give now;
- :mod:`govstats.audit.text` reads the prose of a published report
  (:mod:`govstats.audit.documents`), finds its numeric claims
  (:mod:`govstats.audit.claims`) and checks each with exact arithmetic.

Table rules come from the format declaration (:mod:`govstats.audit.tables`), the
same rules validation applies to a workbook.
"""
