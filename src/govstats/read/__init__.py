"""Reading inputs: which files a path names, what a file is, and what it holds.

Zip packages inspected before they are opened (:mod:`.package`), ``.xls`` streams
(:mod:`.biff`), cell grids of every kind of workbook (:mod:`.excel`), a unit's
figures located by their codes (:mod:`.workbook`) and the roster
(:mod:`.roster`). Nothing here judges a value: that is :mod:`govstats.check`.
"""
