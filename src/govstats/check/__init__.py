"""Checking what was read against the format: every problem at once.

Cell and unit schemas (pandera, :mod:`.schemas`) built from the format's
declarations and rules (:mod:`.rules`), run over every unit (:mod:`.validate`);
the roster against the workbooks submitted (:mod:`.coverage`); and annotated
copies of the workbooks with every problem marked (:mod:`.annotate`).
"""
