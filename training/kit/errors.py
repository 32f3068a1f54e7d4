"""One error type for failures a user can fix: bad data, a missing run, a bad option.

`python -m training` reports a `UserError` as one line (`error: ...`) with exit status 2,
never a traceback. Studio-specific errors (a corpus that is not UTF-8, an image set
with no images) subclass it so they can be caught narrowly in tests.
"""


class UserError(Exception):
    """A failure the user can fix; its message says what and how."""


class Halted(Exception):
    """Raised by the test hook `--halt-after-steps N`: stands in for the process being killed
    (nothing more is saved), so tests can check that `--resume` continues exactly."""
