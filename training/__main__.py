"""`python -m training <studio> <command> [options]`: every studio's command line.

The studios are listed once, here; each is a package `training/<studio>/` whose `cli.main(argv)`
runs its commands. `gan` is an alias of `latent` (its older name).
"""
import importlib
import sys

from training.kit.errors import UserError

STUDIOS = {"poems": "training.poems.cli", "style": "training.style.cli", "latent": "training.latent.cli", "backgrounds": "training.backgrounds.cli",
           "music": "training.music.cli"}
ALIASES = {"gan": "latent"}


def main(argv: list[str]) -> int:
    studio = ALIASES.get(argv[0], argv[0]) if argv else None
    if studio not in STUDIOS:
        names = "|".join([*STUDIOS, *ALIASES])
        print(f"usage: python -m training {{{names}}} <command> [options]", file=sys.stderr)
        return 2
    try:
        return importlib.import_module(STUDIOS[studio]).main(argv[1:])
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
