"""The core every stage shares, importing nothing else of govstats.

The problem catalogue and its messages (:mod:`.problems`), positions
(:mod:`.locations`), exact numbers (:mod:`.numbers`), result reports
(:mod:`.results`), safe text (:mod:`.text`), declarations read from YAML
(:mod:`.declarations`) and atomic, reproducible file writing (:mod:`.output`).
"""
