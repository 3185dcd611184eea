"""The API's query parameters. A bad one is a 400 naming it, never a guess."""

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from statements.api.services import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from statements.models import Topic


class LanguageParameters(forms.Form):
    lang = forms.ChoiceField(choices=settings.LANGUAGES, required=False)

    def clean_lang(self) -> str:
        return self.cleaned_data["lang"] or settings.LANGUAGE_CODE

    def error(self) -> str:
        """The first problem, naming its parameter."""
        name, problems = next(iter(self.errors.items()))
        return str(
            _("%(parameter)s: %(problem)s")
            % {"parameter": name, "problem": problems[0]}
        )


class ListParameters(LanguageParameters):
    page = forms.IntegerField(min_value=1, required=False)
    page_size = forms.IntegerField(min_value=1, max_value=MAX_PAGE_SIZE, required=False)
    topic = forms.SlugField(required=False)

    def clean_page(self) -> int:
        return self.cleaned_data["page"] or 1

    def clean_page_size(self) -> int:
        return self.cleaned_data["page_size"] or DEFAULT_PAGE_SIZE

    def clean_topic(self) -> Topic | None:
        slug = self.cleaned_data["topic"]
        if not slug:
            return None
        topic = Topic.objects.filter(slug=slug).first()
        if topic is None:
            raise forms.ValidationError(_("No topic has this slug."))
        return topic
