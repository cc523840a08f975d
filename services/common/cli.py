"""What the command-line tools share: reading a bearer token argument that may start with a dash."""
import sys


def glue_token_value(argv=None, option="--token"):
    """``--token X`` as ``--token=X``. A token is base64url and starts with ``-`` one time in 64;
    argparse would read such a value as an option of its own and refuse the command."""
    argv = list(sys.argv[1:] if argv is None else argv)
    glued = []
    i = 0
    while i < len(argv):
        if argv[i] == option and i + 1 < len(argv):
            glued.append(f"{option}={argv[i + 1]}")
            i += 2
        else:
            glued.append(argv[i])
            i += 1
    return glued
