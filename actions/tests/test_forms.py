import pytest
from django_countries import countries

from actions.core.forms import arrival_source
from actions.forms import ResendForm, SignatureForm, clean_source


def test_a_complete_form_is_valid(sign_data):
    form = SignatureForm(sign_data)

    assert form.is_valid(), form.errors
    fill_seconds = form.cleaned_data.pop("fill_seconds")
    assert form.cleaned_data == {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.org",
        "country": "KH",
        "wants_updates": False,
        "source": "newsletter",
        "honeypot": "",
    }
    assert 59 < fill_seconds < 120


def test_ticking_the_updates_box_is_recorded(sign_data):
    form = SignatureForm(sign_data | {"wants_updates": "on"})

    assert form.is_valid()
    assert form.cleaned_data["wants_updates"] is True


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("email", "not-an-email", "Enter a valid email address."),
        ("email", "", "This field is required."),
        ("first_name", "", "Please enter your given name."),
        ("first_name", "   ", "Please enter your given name."),
        ("first_name", "\x07\x1b\u200b\t", "Please enter your name."),
        ("last_name", "A" * 101, "Ensure this value has at most 100 characters"),
        ("country", "XX", "Select a valid choice. XX is not one of the available"),
        ("country", "", "Please choose your country."),
        ("first_name", "A" * 101, "Ensure this value has at most 100 characters"),
        # 187 characters, 367 once ß is folded to ss: more than the column
        # of canonical addresses holds (PostgreSQL refused it with a 500).
        (
            "email",
            "a@" + ".".join(["\u00df" * 60] * 3) + ".de",
            "Enter a valid email address.",
        ),
    ],
)
def test_invalid_input_is_refused_with_a_clear_message(
    sign_data, field, value, message
):
    form = SignatureForm(sign_data | {field: value})

    assert not form.is_valid()
    assert list(form.errors) == [field]
    assert form.errors[field][0].startswith(message)


def test_control_characters_and_extra_spaces_are_removed_from_names(sign_data):
    form = SignatureForm(
        sign_data
        | {"first_name": "  Ada   Mary\r\nBcc: x@evil ", "last_name": "Love\x1blace"}
    )

    assert form.is_valid(), form.errors
    first_name = form.cleaned_data["first_name"]
    assert first_name.startswith("Ada Mary")
    assert not any(ch in first_name for ch in "\r\n\x1b")
    assert form.cleaned_data["last_name"] == "Lovelace"


def test_a_name_with_a_nul_character_is_refused(sign_data):
    form = SignatureForm(sign_data | {"last_name": "Love\x00lace"})

    assert not form.is_valid()
    assert list(form.errors) == ["last_name"]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Newsletter", "newsletter"),
        ("share-whatsapp", "share-whatsapp"),
        ("<script>alert(1)</script>", "scriptalert1script"),
        (None, ""),
        ("x" * 100, "x" * 60),
    ],
)
def test_the_source_tag_is_reduced_to_safe_characters(raw, clean):
    assert clean_source(raw) == clean


def test_the_hidden_source_field_is_cleaned(sign_data):
    form = SignatureForm(sign_data | {"source": "Share WhatsApp!"})

    assert form.is_valid()
    assert form.cleaned_data["source"] == "sharewhatsapp"


def test_the_resend_form_needs_a_valid_address():
    assert ResendForm({"email": "ada@example.org"}).is_valid()
    assert not ResendForm({"email": "ada"}).is_valid()
    assert not ResendForm({}).is_valid()


def test_the_country_select_lists_every_country_and_keeps_the_choice(sign_data):
    form = SignatureForm(sign_data | {"country": "MM", "email": "not an email"})
    assert not form.is_valid()

    html = str(form["country"])

    assert html.count("<option") == len(countries) + 1
    assert '<option value="MM" selected>Myanmar</option>' in html
    assert '<option value="KH">Cambodia</option>' in html
    assert 'name="country"' in html and "required" in html
    assert "Côte d&#x27;Ivoire" in html  # names are escaped


@pytest.mark.parametrize(
    ("query", "source"),
    [
        ({}, ""),
        ({"source": "share-x"}, "share-x"),
        (
            {"utm_source": "Newsletter", "utm_medium": "email", "utm_campaign": "mm"},
            "utm.newsletter.email.mm",
        ),
        ({"utm_source": "newsletter"}, "utm.newsletter"),
        ({"utm_medium": "social"}, "utm..social"),
        ({"utm_source": "a.b", "utm_campaign": "c/d e"}, "utm.a-b..cde"),
        ({"utm_source": "x" * 80}, "utm." + "x" * 56),
        ({"source": "mail", "utm_source": "newsletter"}, "mail"),  # source wins
        ({"source": "!!", "utm_source": "newsletter"}, "utm.newsletter"),
    ],
)
def test_a_visitor_s_source_is_their_source_else_their_utm_parameters(query, source):
    assert arrival_source(query) == source
