"""The mutation gate: named mutants of the code and the bundled rules, each of which the suite must kill.

``mutants.py`` defines them (what each edit breaks, and which tests are run against it);
``run.py`` applies them one at a time to a scratch copy of the tree and runs those tests.

Why not mutmut: tried (3.8.1, on ``assess/completeness.py``), it makes some 250 unnamed
mutants of one module, cannot mutate the rule files (YAML) nor make one mutant of two
edits (a criterion lowered in its rule and in rulebase.yaml), and runs against each mutant
only the tests that executed the mutated function while it recorded coverage: code that
runs once, in a session fixture (the ``Completer`` is built once per session), is credited
to the first test alone, so its mutants "survived" tests that kill them.
"""
