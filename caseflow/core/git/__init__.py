"""The one door to git: every git process caseflow starts is started here.

Owns: the runner (:mod:`.runner`: timeouts, process groups, literal pathspecs, git's error text
as a one-line reason) and typed operations, one small module each:

- :mod:`.listing`: ``ls-files -s`` and ``status --porcelain`` of the working tree, files of a
  commit, staged / unmerged paths, what a commit or a range changed; :mod:`.early`: the status a
  read will ask for, started as the ``caseflow`` command starts (:mod:`.commandline` names both
  command lines, :mod:`.indexfile` git's index by its checksum);
- :mod:`.objects`: blobs by id or ``rev:path`` (``cat-file``), revisions, refs, the git folder;
- :mod:`.history`: ``log`` with caseflow's trailers, last change of one file or of many at once;
- :mod:`.commit`: the author, the message and its trailers, staging and committing
  (``add``, ``commit``, ``write-tree``/``commit-tree``/``update-ref``);
- :mod:`.plumbing`: committing given bytes through a scratch index (``caseflow watch``);
- :mod:`.merging`: ``merge-file``, a merge or rebase in progress, marking a file resolved;
- :mod:`.remote`: clone, fetch, merge, push over safe transports only;
- :mod:`.refs`: caseflow's own refs beside the branches (``refs/caseflow/access``): flat trees
  by ``mktree``, ``commit-tree``, ``update-ref`` compare-and-swap, a ref's history in one read;
- :mod:`.config`: reading settings, writing a clone's own, registering the merge driver;
- :mod:`.health`: what ``caseflow doctor`` asks (lock files, what is staged and why, a merge in
  progress, settings as git resolves them);
- :mod:`.repository`: creating a repository (the one use of GitPython, off every hot path).

May import: the standard library, GitPython (in :mod:`.repository`, and :mod:`.runner` to name
a folder that is no repository), :mod:`caseflow.errors` and the core's basics
(:mod:`caseflow.core.layout`, :mod:`caseflow.core.safefiles`, and the notes caseflow's writes
leave, :mod:`caseflow.core.write_notes`, which :mod:`.early` reads). Never the store, the session or
a feature: they build on this package (``tests/test_layering.py`` checks it).

Nothing here is imported eagerly: ``import caseflow.core.git`` costs nothing.
"""
