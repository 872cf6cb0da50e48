"""Pure checks: a ``Snapshot`` in, ``Finding`` objects out.

No module in this package opens a file, runs a process or prints.  Each check
reports everything it sees; none stops at the first problem.  ``run`` runs them
all; ``findings`` is the catalogue of codes and ``explanations`` their long text.
"""
