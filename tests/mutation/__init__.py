"""The mutation gate: named mutants of the code and the bundled rules, each of which the suite must kill.

``mutants.py`` defines them (what each edit breaks, and which tests are run against it);
``run.py`` applies them one at a time to a scratch copy of the tree and runs those tests.
"""
