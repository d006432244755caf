"""Join codes: 6 characters a student can read off a projector and type without doubt."""

import secrets

# No 0/O, 1/I/L: nothing that looks like something else. 31 symbols, 31**6 ≈ 887 million codes.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
LENGTH = 6


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def normalize_code(typed: str) -> str:
    """What the student meant: case and spaces ignored ("ab3 k9x" -> "AB3K9X")."""
    return "".join(typed.split()).upper()


def is_well_formed(code: str) -> bool:
    return len(code) == LENGTH and all(c in ALPHABET for c in code)
