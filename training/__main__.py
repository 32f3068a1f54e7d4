"""`python -m training <studio> ...` dispatches to training.<studio>."""
import importlib
import sys

STUDIOS = {"poems": "training.poems", "gan": "training.gan", "latent": "training.gan", "style": "training.style"}


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in STUDIOS:
        print(f"usage: python -m training {{{'|'.join(STUDIOS)}}} <command> [options]", file=sys.stderr)
        return 2
    module = importlib.import_module(STUDIOS[argv[0]])
    return module.main(argv[1:])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
