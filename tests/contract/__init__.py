"""Black-box contract tests of the ``triage`` command (issue 11): every test drives it as a subprocess."""
