"""统一社会信用代码 (unified social credit code) per GB 32100-2015."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Digits and upper-case letters without I, O, Z, S and V, in the standard's order.
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)

ERR_LENGTH = _("A unified social credit code has 18 characters; this one has %(count)d.")
ERR_CHARSET = _(
    "Character %(position)d (“%(char)s”) is not allowed: use digits and capital letters other than I, O, S, V and Z."
)
ERR_CHECK = _(
    "The check character is wrong: the 18th character should be “%(expected)s”, not “%(got)s”. "
    "Please check the code against the business licence."
)


def check_character(first17: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalise(value: str) -> str:
    return (value or "").strip().upper()


def validate_credit_code(value: str) -> None:
    code = normalise(value)
    if len(code) != 18:
        raise ValidationError(ERR_LENGTH, code="length", params={"count": len(code)})
    for position, char in enumerate(code, start=1):
        if char not in ALPHABET:
            raise ValidationError(ERR_CHARSET, code="charset", params={"position": position, "char": char})
    expected = check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(ERR_CHECK, code="check", params={"expected": expected, "got": code[17]})


def make_credit_code(first17: str) -> str:
    """Complete 17 characters with their check character (used by demo data and tests)."""
    return first17 + check_character(first17)
