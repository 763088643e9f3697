"""Review as a supervisor reads it: what changed in a document in the form's own words
(``semdiff``) and the queue of what awaits approval (``queue``); ``caseflow diff`` and
``caseflow review``. Service: ``repo.review``.

May import: the core, the index, and the features below it (decisions go through ``workflow``).
"""
