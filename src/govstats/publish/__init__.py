"""Publishing a compile: one module per output, and the folder they go into.

report.md (:mod:`.report_md`), report.html (:mod:`.report_html`), report.docx
(:mod:`.report_docx`), tables.xlsx (:mod:`.tables_xlsx`), summary.xlsx
(:mod:`.summary_xlsx`), figures.json (:mod:`.figures_json`), validation.json and
validation.md (:mod:`.validation`), from the templates' context
(:mod:`.context`), table grids (:mod:`.grid`) and charts (:mod:`.charts`); the
blank workbook (:mod:`.template_xlsx`); and the outputs folder, swapped in whole
under a lock (:mod:`.folder`).
"""
