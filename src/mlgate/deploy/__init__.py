"""``mlgate deploy``: ship a model whose gate passed, on the base branch, to one target.

Pure logic (config, refusal rules, champion/challenger, versions, model card) lives apart from
the I/O of the targets (``github_release``, ``gto_target``, ``command_target``) so that it is
testable without git or GitHub.
"""
