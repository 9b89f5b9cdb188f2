import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from procurement.credit_code import (
    ALPHABET,
    ERR_CHARSET,
    ERR_CHECK,
    ERR_LENGTH,
    check_character,
    make_credit_code,
    normalise,
    validate_credit_code,
)

# Published on real business licences (a Shenzhen company, a Shenzhen branch, a Hangzhou company).
PUBLISHED = ["914403001922038216", "9144030071526726XG", "91330100716105852F"]


def error(value: str) -> ValidationError:
    with pytest.raises(ValidationError) as excinfo:
        validate_credit_code(value)
    return excinfo.value


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_validate(code):
    validate_credit_code(code)


def test_wrong_check_character_names_the_expected_one():
    exc = error("914403001922038217")
    assert exc.code == "check"
    assert exc.params == {"expected": "6", "got": "7"}
    assert exc.messages == [str(ERR_CHECK % {"expected": "6", "got": "7"})]
    assert "“6”" in exc.messages[0]


@pytest.mark.parametrize("value, count", [("91440300192203821", 17), ("9144030019220382166", 19), ("", 0)])
def test_wrong_length_has_its_own_message(value, count):
    exc = error(value)
    assert exc.code == "length"
    assert exc.messages == [str(ERR_LENGTH % {"count": count})]


@pytest.mark.parametrize("letter", list("IOSVZ"))
def test_forbidden_letter_has_its_own_message(letter):
    code = "9144030071526726X" + letter
    exc = error(code)
    assert exc.code == "charset"
    assert exc.messages == [str(ERR_CHARSET % {"position": 18, "char": letter})]


def test_messages_differ_for_each_kind_of_mistake():
    kinds = {
        error("91440300192203821").messages[0],
        error("91440300192203821O").messages[0],
        error("914403001922038217").messages[0],
    }
    assert len(kinds) == 3


def test_lower_case_and_spaces_are_normalised():
    assert normalise(" 9144030071526726xg ") == "9144030071526726XG"
    validate_credit_code("9144030071526726xg")
    validate_credit_code("  91330100716105852f\n")


code17 = st.text(alphabet=ALPHABET, min_size=17, max_size=17)


@hypothesis_settings(max_examples=300, database=None)
@given(code17)
def test_made_codes_always_validate(first17):
    code = make_credit_code(first17)
    assert len(code) == 18 and code[17] in ALPHABET
    validate_credit_code(code)


@hypothesis_settings(max_examples=300, database=None)
@given(code17, st.integers(min_value=0, max_value=17), st.integers(min_value=1, max_value=30))
def test_changing_any_one_character_makes_a_code_invalid(first17, position, shift):
    code = make_credit_code(first17)
    replacement = ALPHABET[(ALPHABET.index(code[position]) + shift) % len(ALPHABET)]
    altered = code[:position] + replacement + code[position + 1 :]
    assert altered != code
    with pytest.raises(ValidationError) as excinfo:
        validate_credit_code(altered)
    assert excinfo.value.code == "check"


def test_check_character_matches_the_published_codes():
    for code in PUBLISHED:
        assert check_character(code[:17]) == code[17]
